"""The breakdown through gazu: episodes, sequences, shots, assets, tasks and casting."""
import gazu


def test_breakdown_end_to_end(admin):
    project = gazu.project.new_project("Gazu Breakdown", production_type="tvshow")
    episode = gazu.shot.new_episode(project, "E02")
    sequence = gazu.shot.new_sequence(project, "SQ01", episode=episode)
    shot = gazu.shot.new_shot(project, sequence, "SH010", nb_frames=48, frame_in=1, frame_out=48)
    assert shot["nb_frames"] == 48
    assert gazu.shot.new_shot(project, sequence, "SH010")["id"] == shot["id"], "got, not made twice"
    assert [e["name"] for e in gazu.shot.all_episodes_for_project(project)] == ["E01", "E02"]
    assert [s["name"] for s in gazu.shot.all_sequences_for_episode(episode)] == ["SQ01"]
    assert [s["name"] for s in gazu.shot.all_shots_for_sequence(sequence)] == ["SH010"]

    character = gazu.asset.get_asset_type_by_name("Character")
    bunny = gazu.asset.new_asset(project, character, "Bunny", "The hero")
    assert gazu.asset.get_asset_by_name(project, "Bunny")["id"] == bunny["id"]
    assert [a["name"] for a in gazu.asset.all_assets_for_project(project)] == ["Bunny"]
    assert [t["name"] for t in gazu.asset.all_asset_types_for_project(project)] == ["Character"]

    animation = gazu.task.get_task_type_by_name("Animation")
    task = gazu.task.new_task(shot, animation)
    assert task["entity_id"] == shot["id"]
    assert [t["task_type_id"] for t in gazu.task.all_tasks_for_shot(shot)] == [animation["id"]]
    assert [t["name"] for t in gazu.task.all_task_types_for_shot(shot)] == ["Animation"]

    gazu.casting.update_shot_casting(project, shot, [{"asset_id": bunny["id"], "nb_occurences": 2}])
    casting = gazu.casting.get_shot_casting(shot)
    assert [(c["asset_name"], c["nb_occurences"]) for c in casting] == [("Bunny", 2)]
    assert [c["shot_name"] for c in gazu.casting.get_asset_cast_in(bunny)] == ["SH010"]
    assert list(gazu.casting.get_sequence_casting(sequence)) == [shot["id"]]

    gazu.shot.remove_shot(shot)
    assert gazu.shot.get_shot(shot["id"])["canceled"] is True, "a shot with tasks is canceled"
    gazu.shot.remove_shot(shot, force=True)
    assert gazu.shot.all_shots_for_sequence(sequence) == []
