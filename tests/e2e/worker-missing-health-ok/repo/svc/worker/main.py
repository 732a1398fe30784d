import structlog

log = structlog.get_logger()


def main() -> None:
    log.info("worker_started", queue="jobs")


if __name__ == "__main__":
    main()
