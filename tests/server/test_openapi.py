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
