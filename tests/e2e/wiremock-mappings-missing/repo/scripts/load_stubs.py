import glob, json, urllib.request

for path in glob.glob("wiremock/mappings/*.json"):
    req = urllib.request.Request("http://localhost:8080/__admin/mappings",
                                 data=open(path, "rb").read(), method="POST")
    urllib.request.urlopen(req)
