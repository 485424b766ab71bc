"""Pictures and spreadsheets through gazu: a preview uploaded on a comment and
its thumbnail read back, an avatar, and the shots and assets CSV exports."""
import os
import struct
import tempfile
import zlib

import gazu


def _png(path, width, height):
    """Writes an opaque red picture as a PNG, with nothing but the standard library."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    with open(path, "wb") as out:
        out.write(b"\x89PNG\r\n\x1a\n")
        out.write(chunk(b"IHDR", header))
        out.write(chunk(b"IDAT", zlib.compress(rows)))
        out.write(chunk(b"IEND", b""))


def _png_size(path):
    with open(path, "rb") as picture:
        head = picture.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def test_a_preview_picture_and_its_thumbnail(admin):
    project = gazu.project.new_project("Gazu Pictures")
    character = gazu.asset.get_asset_type_by_name("Character")
    hero = gazu.asset.new_asset(project, character, "Hero")
    task = gazu.task.new_task(hero, gazu.task.get_task_type_by_name("Modeling"))
    wfa = gazu.task.get_task_status_by_short_name("wfa")
    comment = gazu.task.add_comment(task, wfa, "First take")
    with tempfile.TemporaryDirectory() as folder:
        upload = os.path.join(folder, "take.png")
        _png(upload, 64, 36)
        preview = gazu.task.add_preview(task, comment, upload)
        assert (preview["status"], preview["extension"]) == ("ready", "png")
        assert (preview["width"], preview["height"]) == (64, 36)
        assert preview["original_name"] == "take"
        thumbnail = os.path.join(folder, "thumbnail.png")
        gazu.files.download_preview_file_thumbnail(preview, thumbnail)
        assert _png_size(thumbnail) == (150, 100)

        shown = gazu.task.set_main_preview(preview)
        assert (shown["id"], shown["preview_file_id"]) == (hero["id"], preview["id"])
        assert gazu.asset.get_asset(hero["id"])["preview_file_id"] == preview["id"]
        files = gazu.files.update_preview_position(preview, 1.0)
        assert [(f["id"], f["position"]) for f in files] == [(preview["id"], 1)]

        me = gazu.client.get_current_user()
        answer = gazu.person.set_avatar(me, upload)
        assert answer == {"thumbnail_path": f"pictures/thumbnails/persons/{me['id']}.png"}
        assert gazu.person.get_person(me["id"])["has_avatar"] is True


def test_shots_and_assets_exports(admin):
    project = gazu.project.new_project("Gazu Exports")
    episode = gazu.shot.new_episode(project, "E01")
    sequence = gazu.shot.new_sequence(project, "SQ01", episode=episode)
    gazu.shot.new_shot(project, sequence, "SH010", nb_frames=48)
    character = gazu.asset.get_asset_type_by_name("Character")
    gazu.asset.new_asset(project, character, "Hero", "The hero")
    with tempfile.TemporaryDirectory() as folder:
        shots = os.path.join(folder, "shots.csv")
        gazu.shot.export_shots_with_csv(project, shots, episode=episode)
        with open(shots, newline="") as sheet:
            lines = sheet.read().split("\r\n")
        assert lines[0] == (
            "Project;Episode;Sequence;Name;Description;Time Spent;Frames;Frame In;Frame Out;FPS"
        )
        assert lines[1] == "Gazu Exports;E01;SQ01;SH010;;0.00;48;;;"
        assets = os.path.join(folder, "assets.csv")
        gazu.asset.export_assets_with_csv(project, assets)
        with open(assets, newline="") as sheet:
            assert sheet.read() == (
                "Project;Type;Name;Description;Time Spent\r\n"
                "Gazu Exports;Character;Hero;The hero;0.00\r\n"
            )
