"""Web chat (Gradio). The chat lands with the web chat issue; until then this says so and exits cleanly."""

import sys


def main() -> int:
    print(
        "The web chat is not built yet. Meanwhile the collection can be browsed with:\n"
        "  .venv/bin/python -m qa corpus"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
