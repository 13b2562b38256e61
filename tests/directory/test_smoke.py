from tests.directory.conftest import user_body


def test_create_and_get(directory):
    r = directory.scim.post("/Users", json=user_body("ada@contoso.com", externalId="ada"))
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    uid = r.json()["id"]
    g = directory.scim.get(f"/Users/{uid}")
    assert g.status_code == 200, g.text
    print(g.json())
