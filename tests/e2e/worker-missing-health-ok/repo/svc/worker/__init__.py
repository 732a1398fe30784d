from aiohttp import web


async def health(request):
    return web.json_response({"ok": True})


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/healthz", health)
    return app
