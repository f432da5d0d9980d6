from examples.helloworld.main import greetings


def test_each_plugin_greets_by_name() -> None:
    assert greetings("Ada") == ["Good morning, Ada", "Good evening, Ada"]
