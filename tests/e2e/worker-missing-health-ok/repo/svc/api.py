from fastapi import FastAPI

app = FastAPI()


@app.get(path="/health/live")
def live() -> dict:
    return {"ok": True}
