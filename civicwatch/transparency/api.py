"""/api: the OpenAPI description of the public JSON API."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from civicwatch.transparency.openapi import openapi_document

blueprint = Blueprint("api", __name__, url_prefix="/api")


@blueprint.route("/openapi.json")
def openapi() -> Response:
    licence = {"name": current_app.config["OPEN_DATA_LICENCE_NAME"], "url": current_app.config["OPEN_DATA_LICENCE_URL"]}
    return jsonify(openapi_document("/", licence))
