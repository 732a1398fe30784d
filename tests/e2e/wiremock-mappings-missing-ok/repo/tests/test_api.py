import requests

def test_charge():
    requests.post("http://localhost:8080/__admin/mappings", json={
        "request": {"method": "GET", "url": "/v1/charges/ch_1"},
        "response": {"status": 200}})
