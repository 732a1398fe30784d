"""Runs jobs; mentions /health and "started" only in comments and docstrings."""
import time

# one day: serve /health (a comment, no route)
def main() -> None:
    print("worker started")  # no flush: may never reach the log
    d = {"health": 1}
    d.get("/health")
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main()
