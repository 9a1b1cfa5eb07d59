"""``python -m listings.matching``: the engine from the command line, without Django."""

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps

ROOT = Path(__file__).resolve().parents[3]


def design_image(path: Path) -> None:
    """A registered design view: a few shapes and a word, distinctive enough to hash."""
    im = Image.new("RGB", (400, 400), (250, 248, 240))
    draw = ImageDraw.Draw(im)
    draw.ellipse((40, 60, 260, 300), fill=(150, 40, 40))
    draw.rectangle((200, 180, 370, 360), fill=(30, 60, 140))
    draw.polygon([(60, 370), (180, 240), (300, 380)], fill=(20, 120, 60))
    draw.text((230, 40), "AURELIA", fill=(0, 0, 0))
    im.save(path)


def write_jsonl(path: Path, lines: list) -> None:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    )


def run_cli(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "-m", "listings.matching", "--rights", str(tmp_path / "rights.jsonl"),
         "--listings", str(tmp_path / "listings" / "listings.jsonl"), *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def setup_files(tmp_path: Path) -> None:
    design_image(tmp_path / "bag.png")
    write_jsonl(
        tmp_path / "rights.jsonl",
        [
            {"id": "R-mark", "kind": "word_mark", "text": "Aurelia"},
            {"id": "R-design", "kind": "design", "images": ["bag.png"]},
            {"id": "R-broken", "kind": "design", "images": ["missing.png"]},
            "{not json",
        ],
    )
    (tmp_path / "listings").mkdir()
    ImageOps.mirror(Image.open(tmp_path / "bag.png")).save(
        tmp_path / "listings" / "copy.jpg", quality=85
    )
    Image.new("RGB", (300, 300), (90, 200, 220)).save(tmp_path / "listings" / "plain.jpg")
    write_jsonl(
        tmp_path / "listings" / "listings.jsonl",
        [
            {"id": 1, "title": "Luxury Aurellia leather handbag, brand new with tags"},
            {"id": 2, "title": "Quilted shoulder bag", "images": ["copy.jpg"]},
            {"id": 3, "title": "Garden hose 20 m, green", "images": ["plain.jpg"]},
            {"title": "no id here"},
        ],
    )


def test_the_command_line_finds_a_typo_and_a_mirrored_design_and_reports_bad_lines(tmp_path):
    # given rights and listings files with one bad line each
    setup_files(tmp_path)
    # when the engine runs from the command line, without Django
    result = run_cli(tmp_path)
    # then it prints one JSON object per match and names the bad lines on stderr
    assert result.returncode == 0, result.stderr
    matches = [json.loads(line) for line in result.stdout.splitlines()]
    found = {(m["listing_id"], m["right_id"], m["signal"]) for m in matches}
    assert found == {(1, "R-mark", "text"), (2, "R-design", "image")}
    assert all(0 < m["score"] <= 1 and m["evidence"] for m in matches)
    assert "rights.jsonl:3: image file not found" in result.stderr
    assert "rights.jsonl:4: not valid JSON" in result.stderr
    assert "listings.jsonl:4: id is required" in result.stderr


def test_several_workers_give_the_same_matches(tmp_path):
    setup_files(tmp_path)
    one = sorted(run_cli(tmp_path).stdout.splitlines())
    two = sorted(run_cli(tmp_path, "--workers", "2").stdout.splitlines())
    assert one == two
    assert one
