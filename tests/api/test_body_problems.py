"""A body with several problems is answered by one 400 naming all of them (`problems`), through
the dev host; `error` stays the first problem's stable code, and the description still ends with
the accepted fields."""
from __future__ import annotations

import secrets


def test_every_problem_of_a_body_is_named_in_one_answer(admin):
    slug = "org-" + secrets.token_hex(4)
    response = admin.post("/api/organizations", json={"id": slug, "name": 5, "redirect_uris": "https://a.example/cb",
                                                      "provisioning": "sometimes", "colour": "red", "bogus": 1})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "unknown_field"  # unknown fields first, as before
    assert [(p["field"], p["code"]) for p in body["problems"]] == [
        ("bogus", "unknown_field"), ("colour", "unknown_field"),
        ("name", "invalid_field"), ("redirect_uris", "invalid_field"), ("provisioning", "invalid_field"),
    ]
    assert all(p["message"] for p in body["problems"])
    assert body["error_description"].endswith("Accepted: allowed_sign_in_methods, break_glass_emails, default_connection, groups_overage_unavailable, "
                                              "id, name, notification_webhook_url, provisioning, redirect_uris, sso_enforcement, sso_required_emails.")
    assert "`name` must be a string" in body["error_description"] and "`provisioning` must be one of" in body["error_description"]
    assert admin.get(f"/api/organizations/{slug}").status_code == 404  # nothing was created


def test_every_missing_field_is_named_at_once(admin):
    body = admin.post("/api/organizations", json={}).json()
    assert body["error"] == "missing_field"
    assert sorted(p["field"] for p in body["problems"]) == ["id", "name", "redirect_uris"]
    assert {p["code"] for p in body["problems"]} == {"missing_field"}
    assert "the organization's slug" in body["error_description"]


def test_one_problem_answers_as_before_with_its_problem(admin, new_org):
    org = new_org()
    response = admin.patch(f"/api/organizations/{org}", json={"redirect_uris": []})
    body = response.json()
    assert (response.status_code, body["error"]) == (400, "invalid_field")
    assert body["problems"] == [{"field": "redirect_uris", "code": "invalid_field", "message": body["error_description"]}]


def test_nested_and_list_items_are_named_by_their_place(admin, new_org):
    org = new_org()
    response = admin.post(f"/api/organizations/{org}/connections", json={"protocol": "saml", "attribute_mapping": {"shoe_size": "x"},
                                                                        "allow_idp_initiated": "yes", "display_name": ""})
    body = response.json()
    assert response.status_code == 400
    assert {p["field"] for p in body["problems"]} == {"attribute_mapping", "allow_idp_initiated", "display_name"}


def test_parse_errors_stay_single_codes_without_problems(admin):
    response = admin.post("/api/organizations", data=b'{"id": NaN}', headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]) == (400, "invalid_json")
    assert "problems" not in response.json()
    response = admin.post("/api/organizations", data=b"{}", headers={"Content-Type": "text/plain"})
    assert (response.status_code, response.json()["error"]) == (415, "unsupported_media_type")


def test_the_token_exchange_reads_a_form_through_its_model(admin):
    response = admin.post("/api/sso/token", data={"code": "a.b.c", "extra": "x"})
    body = response.json()
    assert (response.status_code, body["error"]) == (400, "unknown_field")
    assert body["error_description"].endswith("Accepted: code.")
