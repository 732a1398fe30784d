import logging

log = logging.getLogger(__name__)


def main() -> None:
    log.info("polling")


main()
