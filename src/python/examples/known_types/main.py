"""known_types: Timestamp, Duration, Struct, Value and Any crossing the boundary both ways.

Python fills them from datetime, timedelta, dict and messages; the Go plugin (src/go/plugins/known_types) reads
them as time.Time, time.Duration, map[string]any, any and typed messages through the generated helpers, and
answers with the same types.
"""

from __future__ import annotations

import importlib.resources
import json
import sys
from datetime import datetime, timedelta, timezone

from google.protobuf.json_format import MessageToDict
from known_types.known_types_pb2 import Meeting, MeetingPlan, Room
from known_types.known_types_wasmplug import PlannerPlugin

PLUGIN = importlib.resources.files("plugins.known_types") / "known_types.wasm"


def plan(meeting: Meeting) -> MeetingPlan:
    with PlannerPlugin().load(PLUGIN) as planner:
        return planner.plan(meeting)


def design_review() -> Meeting:
    meeting = Meeting(title="design review")
    meeting.start.FromDatetime(datetime(2025, 3, 3, 9, 30, tzinfo=timezone.utc))  # Timestamp
    meeting.length.FromTimedelta(timedelta(minutes=45))  # Duration
    # Struct:
    meeting.details.update({"attendees": ["ada", "alan", "grace"], "agenda": {"items": 3}})
    meeting.priority.string_value = "high"  # Value
    meeting.location.Pack(Room(building="B", floor=2))  # Any
    return meeting


def main() -> int:
    reply = plan(design_review())
    end = reply.end.ToDatetime(tzinfo=timezone.utc)
    person_time = reply.person_time.ToTimedelta()
    summary = MessageToDict(reply.summary)
    room = Room()
    unpacked = reply.location.Unpack(room)
    print(f"ends at:     {end:%A %H:%M} UTC")
    print(f"person-time: {person_time}")
    print(f"summary:     {json.dumps(summary, sort_keys=True)}")
    print(f"priority:    {reply.priority.number_value:g}")
    print(f"directions:  {room.directions}")
    ok = (
        end == datetime(2025, 3, 3, 10, 15, tzinfo=timezone.utc)
        and person_time == timedelta(hours=2, minutes=15)
        and summary
        == {"title": "design review", "attendees": 3, "weekday": "Monday", "remote": False}
        and reply.priority.number_value == 5
        and unpacked
        and room.directions == "take the lift to floor 2 of building B"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
