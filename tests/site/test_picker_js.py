"""The picker's own point-in-outline answer (place-picker.js, run by Node) agrees with the
router for real places: the municipality announced under the pin is the one the report gets."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from portal import geo
from portal.geo import outlines as geo_outlines
from tests.conftest import missing

PICKER = Path(__file__).parents[2] / "portal" / "static" / "js" / "place-picker.js"
PLACES = {  # (longitude, latitude): NIS codes the router gives without a postal code
    (4.372, 50.827): ["21009"],  # Flagey, Ixelles
    (4.3815, 50.8367): ["21005"],  # Place Jourdan, Etterbeek
    (4.380, 50.843): ["21004"],  # Schuman, City of Brussels
    (4.3725, 50.812): ["21004"],  # Bois de la Cambre, City of Brussels
    (4.3525, 50.8467): ["21004"],  # Grand-Place
    (4.611, 50.717): [],  # Wavre
}
RUNNER = """
global.window = {};
require(process.argv[1]);
const data = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8'));
const points = JSON.parse(process.argv[3]);
console.log(JSON.stringify(points.map(([x, y]) => {
  const f = window.PortalPicker.featureAt(data, x, y);
  return f ? f.properties.nis : [];
})));
"""


def test_the_picker_names_the_municipality_the_router_names(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        missing("Node.js", "node is not installed")
    path = tmp_path / "outlines.geojson"
    path.write_bytes(geo_outlines.encode(geo_outlines.build_outlines(geo.load_index())))
    points = list(PLACES)
    answer = subprocess.run([node, "-e", RUNNER, str(PICKER), str(path), json.dumps(points)],
                            capture_output=True, text=True, check=True, timeout=120)
    found = json.loads(answer.stdout)
    assert found == list(PLACES.values())
    for point, nis in zip(points, found, strict=True):
        assert nis == [m.nis for m in geo.route(point=point).candidates], point


@pytest.mark.parametrize("script", ["place.js", "place-picker.js", "staff-map.js"])
def test_the_scripts_parse(script: str) -> None:
    node = shutil.which("node")
    if node is None:
        missing("Node.js", "node is not installed")
    subprocess.run([node, "--check", str(PICKER.with_name(script))], check=True, timeout=120)
