// Package main is the Planner plugin of the known_types example: Timestamp, Duration, Struct, Value and Any
// arrive as protobuf messages and are used through the generated helpers as time.Time, time.Duration,
// map[string]any, any and typed messages.
package main

import (
	"context"
	"fmt"
	"time"

	"wasmplug.dev/guest/wkt/anypb"
	"wasmplug.dev/guest/wkt/durationpb"
	"wasmplug.dev/guest/wkt/structpb"
	"wasmplug.dev/guest/wkt/timestamppb"
	"wasmplug.example/knowntypes"
)

type Planner struct{}

func (Planner) Plan(_ context.Context, m *knowntypes.Meeting) (*knowntypes.MeetingPlan, error) {
	start := m.Start.AsTime()       // time.Time (UTC)
	length := m.Length.AsDuration() // time.Duration
	details := m.Details.AsMap()    // map[string]any
	attendees, _ := details["attendees"].([]any)

	priority, err := priorityNumber(m.Priority.AsInterface()) // nil, bool, float64, string, map or slice
	if err != nil {
		return nil, err
	}
	location, remote, err := withDirections(m.Location)
	if err != nil {
		return nil, err
	}
	summary, err := structpb.NewStruct(map[string]any{
		"title":     m.Title,
		"attendees": len(attendees),
		"weekday":   start.Weekday().String(),
		"remote":    remote,
	})
	if err != nil {
		return nil, err
	}
	return &knowntypes.MeetingPlan{
		End:        timestamppb.New(start.Add(length)),
		PersonTime: durationpb.New(length * time.Duration(len(attendees))),
		Summary:    summary,
		Priority:   structpb.NewNumberValue(priority),
		Location:   location,
	}, nil
}

var priorities = map[string]float64{"low": 1, "normal": 3, "high": 5}

func priorityNumber(v any) (float64, error) {
	switch v := v.(type) {
	case nil:
		return priorities["normal"], nil
	case float64:
		if v >= 1 && v <= 5 {
			return v, nil
		}
	case string:
		if n, ok := priorities[v]; ok {
			return n, nil
		}
	}
	return 0, fmt.Errorf("priority must be 1 to 5 or low/normal/high, not %v", v)
}

// withDirections unpacks the Any, fills in the directions and packs it again.
func withDirections(location *anypb.Any) (*anypb.Any, bool, error) {
	var room knowntypes.Room
	var call knowntypes.VideoCall
	switch {
	case location.MessageIs(&room):
		if err := location.UnmarshalTo(&room); err != nil {
			return nil, false, err
		}
		room.Directions = fmt.Sprintf("take the lift to floor %d of building %s", room.Floor, room.Building)
		packed, err := anypb.New(&room)
		return packed, false, err
	case location.MessageIs(&call):
		if err := location.UnmarshalTo(&call); err != nil {
			return nil, false, err
		}
		call.Directions = "open " + call.Url + " in a browser"
		packed, err := anypb.New(&call)
		return packed, true, err
	}
	return nil, false, fmt.Errorf("location must be a Room or a VideoCall, not %q", location.MessageName())
}

func init() { knowntypes.RegisterPlanner(Planner{}) }

func main() {}
