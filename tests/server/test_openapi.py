"""The stage API is documented: every route has a summary, and its models are in the schema."""

from pixref.server import ServerSettings, create_app

STAGE_TAGS = {"pixel", "mockup", "pose", "sweeps"}


def test_every_stage_route_is_summarised_and_typed():
    spec = create_app(ServerSettings()).openapi()
    operations = [
        (path, method, op)
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
        if STAGE_TAGS & set(op.get("tags", ()))
    ]
    assert len(operations) >= 25
    for path, method, op in operations:
        # FastAPI's own summary is the function name in Title Case; ours are sentences
        assert op["summary"] != op["summary"].title(), (path, method, op["summary"])
    schemas = spec["components"]["schemas"]
    for name in ("PixelizeResult", "SnapResult", "PaletteOut", "MockupOut", "LayerIn",
                 "LayerPatch", "RenderIn", "EditIn", "SweepIn", "SweepOut"):  # fmt: skip
        assert name in schemas, name
    assert "description" in schemas["SweepIn"]["properties"]["axes"]


def test_api_errors_read_the_same_for_framework_errors(client):
    """A body that does not parse, an unknown path and a refused method answer like
    every other /api error; the 405 names every method of the path."""
    from tests.server.helpers import assert_one_line_error

    bad_json = client.post(
        "/api/pose/mirror", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_one_line_error(bad_json, 422, "JSON")
    assert_one_line_error(client.get("/api/nothing-here"), 404, "Not Found")
    refused = client.patch("/api/mockups")
    assert_one_line_error(refused, 405, "Method Not Allowed")
    assert refused.headers["allow"] == "GET, POST"  # FastAPI answers HEAD with 405
    assert client.options("/api/mockups/import").headers["allow"] == "POST"
