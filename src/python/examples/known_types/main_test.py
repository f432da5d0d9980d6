from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import wasmplug
from examples.known_types.main import design_review, main, plan
from google.protobuf.json_format import MessageToDict
from known_types.known_types_pb2 import Meeting, Room, VideoCall


def test_every_known_type_comes_back() -> None:
    reply = plan(design_review())
    assert reply.end.ToDatetime(tzinfo=timezone.utc) == datetime(
        2025, 3, 3, 10, 15, tzinfo=timezone.utc
    )
    assert reply.person_time.ToTimedelta() == timedelta(hours=2, minutes=15)
    assert MessageToDict(reply.summary) == {
        "title": "design review",
        "attendees": 3,
        "weekday": "Monday",
        "remote": False,
    }
    assert reply.priority.WhichOneof("kind") == "number_value"
    assert reply.priority.number_value == 5
    room = Room()
    assert reply.location.Unpack(room)
    assert room == Room(building="B", floor=2, directions="take the lift to floor 2 of building B")


def test_any_of_another_type_and_numeric_value() -> None:
    meeting = Meeting(title="standup")
    meeting.start.FromDatetime(datetime(2024, 12, 31, 23, 50, 0, 500_000, tzinfo=timezone.utc))
    meeting.length.FromTimedelta(timedelta(minutes=15, microseconds=250))
    meeting.details.update({"attendees": ["ada"]})
    meeting.priority.number_value = 2
    meeting.location.Pack(VideoCall(url="https://meet.example/standup"))
    reply = plan(meeting)
    # Sub-second parts survive both ways, and the year rolls over on the Go side.
    assert reply.end.ToDatetime(tzinfo=timezone.utc) == datetime(
        2025, 1, 1, 0, 5, 0, 500_250, tzinfo=timezone.utc
    )
    assert reply.summary["weekday"] == "Tuesday"
    assert reply.summary["remote"] is True
    assert reply.priority.number_value == 2
    call = VideoCall()
    assert reply.location.Unpack(call)
    assert call.directions == "open https://meet.example/standup in a browser"


def test_unset_fields_are_zero_values() -> None:
    reply = plan(Meeting(location=design_review().location))
    assert reply.end.ToDatetime(tzinfo=timezone.utc) == datetime(1970, 1, 1, tzinfo=timezone.utc)
    assert reply.person_time.ToTimedelta() == timedelta(0)
    assert reply.priority.number_value == 3  # a missing Value is null: "normal"


def test_plugin_rejects_bad_values() -> None:
    meeting = design_review()
    meeting.priority.string_value = "urgent"
    with pytest.raises(wasmplug.PluginError, match="priority must be 1 to 5"):
        plan(meeting)
    meeting = design_review()
    meeting.location.Pack(Meeting())
    with pytest.raises(wasmplug.PluginError, match='not "known_types.Meeting"'):
        plan(meeting)


def test_main(capsys: pytest.CaptureFixture[str]) -> None:
    assert main() == 0
    assert "ends at:     Monday 10:15 UTC" in capsys.readouterr().out
