"""A STAC API on loopback for tests: landing page, collections, /search (GET and POST), and
files served with HTTP Range support so that GDAL reads the COGs as it reads them from S3."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

CONFORMS = [
    "https://api.stacspec.org/v1.0.0/core",
    "https://api.stacspec.org/v1.0.0/item-search",
    "https://api.stacspec.org/v1.0.0/item-search#query",
    "https://api.stacspec.org/v1.0.0/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]


class StacServer:
    """Serve ``items`` (dicts) of ``collection`` and the files under ``root`` on 127.0.0.1."""

    def __init__(self, root: Path, collection: str = "sentinel-2-l2a") -> None:
        self.root = root
        self.collection = collection
        self.items: list[dict[str, Any]] = []
        self.requests: list[str] = []
        self.range_requests = 0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> StacServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def landing(self) -> dict:
        links = [
            {"rel": "self", "href": self.url, "type": "application/json"},
            {"rel": "root", "href": self.url, "type": "application/json"},
            {"rel": "data", "href": f"{self.url}/collections", "type": "application/json"},
            {"rel": "search", "href": f"{self.url}/search", "method": "POST"},
            {"rel": "search", "href": f"{self.url}/search", "method": "GET"},
        ]
        return {
            "type": "Catalog",
            "id": "loopback",
            "stac_version": "1.0.0",
            "description": "test STAC API",
            "conformsTo": CONFORMS,
            "links": links,
        }

    def collection_json(self) -> dict:
        return {
            "type": "Collection",
            "id": self.collection,
            "stac_version": "1.0.0",
            "description": "Sentinel-2 L2A (test)",
            "license": "proprietary",
            "extent": {
                "spatial": {"bbox": [[-180, -90, 180, 90]]},
                "temporal": {"interval": [["2015-06-27T00:00:00Z", None]]},
            },
            "links": [{"rel": "root", "href": self.url}],
        }

    def search(self, params: dict[str, Any]) -> dict:
        bbox = params.get("bbox")
        if isinstance(bbox, str):
            bbox = [float(v) for v in bbox.split(",")]
        start, _, end = str(params.get("datetime", "../..")).partition("/")
        found = []
        for item in self.items:
            west, south, east, north = item["bbox"]
            if bbox and not (
                west < bbox[2] and bbox[0] < east and south < bbox[3] and bbox[1] < north
            ):
                continue
            date = item["properties"]["datetime"][:10]
            if start not in ("", "..") and date < start[:10]:
                continue
            if end not in ("", "..") and date > end[:10]:
                continue
            found.append(item)
        return {"type": "FeatureCollection", "features": found, "links": []}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def _json(self, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _file(self, head: bool) -> None:
                path = server.root / urlparse(self.path).path.removeprefix("/data/")
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                match = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
                if match:
                    server.range_requests += 1
                    first = int(match.group(1))
                    last = int(match.group(2)) if match.group(2) else len(data) - 1
                    last = min(last, len(data) - 1)
                    body = data[first : last + 1]
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {first}-{last}/{len(data)}")
                else:
                    body = data
                    self.send_response(200)
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("Content-Type", "image/tiff")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def do_HEAD(self) -> None:
                self._file(head=True)

            def do_GET(self) -> None:
                server.requests.append(f"GET {self.path}")
                url = urlparse(self.path)
                if url.path in ("", "/"):
                    self._json(server.landing())
                elif url.path == "/collections":
                    self._json({"collections": [server.collection_json()], "links": []})
                elif url.path == f"/collections/{server.collection}":
                    self._json(server.collection_json())
                elif url.path == "/search":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    self._json(server.search(query))
                elif url.path.startswith("/data/"):
                    self._file(head=False)
                else:
                    self.send_error(404)

            def do_POST(self) -> None:
                server.requests.append(f"POST {self.path}")
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                if urlparse(self.path).path == "/search":
                    self._json(server.search(body))
                else:
                    self.send_error(404)

        return Handler
