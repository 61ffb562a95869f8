"""Baseline: a Textual app that shows nothing (for startup and memory)."""

from textual.app import App


class BareApp(App):
    BINDINGS = [("q", "quit", "Quit")]


if __name__ == "__main__":
    BareApp().run()
