from celery import Celery
from flask import Flask

app = Celery("svc")
web = Flask(__name__)


@web.route("/healthcheck")
def healthcheck():
    return "ok"
