from qa.cli import main

if __name__ == "__main__":  # not when a worker process (qa.workers) imports this as its main module
    raise SystemExit(main())
