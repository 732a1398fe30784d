set -eo pipefail
pytest --junitxml=report.xml 2>&1 | tee pytest.log
