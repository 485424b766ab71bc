"""Scenes, asset instances, edits, concepts, descriptors and budgets through gazu."""
import gazu


def _setup():
    project = gazu.project.new_project("Gazu Scenes", production_type="tvshow")
    episode = gazu.shot.new_episode(project, "E02")
    sequence = gazu.shot.new_sequence(project, "SQ01", episode=episode)
    shot = gazu.shot.new_shot(project, sequence, "SH010", nb_frames=24)
    character = gazu.asset.get_asset_type_by_name("Character")
    hero = gazu.asset.new_asset(project, character, "Hero Man", "The hero")
    forest = gazu.asset.new_asset(project, character, "Forest", "A set")
    return project, episode, sequence, shot, hero, forest


def test_scenes_and_asset_instances(admin):
    project, _, sequence, shot, hero, forest = _setup()
    scene = gazu.scene.new_scene(project, sequence, "SC01")
    assert [s["name"] for s in gazu.scene.all_scenes_for_sequence(sequence)] == ["SC01"]
    assert gazu.scene.get_sequence_from_scene(scene)["id"] == sequence["id"]

    first = gazu.scene.new_scene_asset_instance(scene, hero)
    second = gazu.scene.new_scene_asset_instance(scene, hero, description="in the back")
    assert (first["name"], second["name"]) == ("Hero_Man_0001", "Hero_Man_0002")
    instances = gazu.scene.all_asset_instances_for_scene(scene)
    assert [i["number"] for i in instances[hero["id"]]] == [1, 2]
    assert gazu.scene.all_camera_instances_for_scene(scene) == {}
    nested = gazu.asset.new_asset_asset_instance(forest, hero)
    assert nested["target_asset_id"] == forest["id"]

    gazu.shot.add_asset_instance_to_shot(shot, first)
    cast = gazu.shot.all_asset_instances_for_shot(shot)
    assert [i["id"] for i in cast[hero["id"]]] == [first["id"]]
    gazu.shot.remove_asset_instance_from_shot(shot, first)
    assert gazu.shot.all_asset_instances_for_shot(shot) == {}

    gazu.scene.add_shot_to_scene(scene, shot)
    assert [s["name"] for s in gazu.scene.all_shots_for_scene(scene)] == ["SH010"]
    gazu.scene.remove_shot_from_scene(scene, shot)
    assert gazu.scene.all_shots_for_scene(scene) == []


def test_edits_concepts_and_task_lists(admin):
    project, episode, sequence, shot, hero, _ = _setup()
    edit = gazu.edit.new_edit(project, "Trailer", description="The teaser")
    assert gazu.edit.get_edit_by_name(project, "Trailer")["id"] == edit["id"]
    assert [e["name"] for e in gazu.edit.all_edits_for_project(project)] == ["Trailer"]
    gazu.edit.remove_edit(edit)
    assert gazu.edit.all_edits_for_project(project) == []

    concept = gazu.concept.new_concept(project, "Hero sketch", entity_concept_links=[hero])
    assert concept["entity_concept_links"] == [hero["id"]]
    assert [c["name"] for c in gazu.concept.all_concepts_for_project(project)] == ["Hero sketch"]
    gazu.concept.remove_concept(concept)
    assert gazu.concept.all_concepts_for_project(project) == []

    animation = gazu.task.get_task_type_by_name("Animation")
    task = gazu.task.new_task(shot, animation)
    shot_tasks = gazu.task.all_shot_tasks_for_sequence(sequence)
    assert [t["id"] for t in shot_tasks] == [task["id"]]
    assert [t["id"] for t in gazu.task.all_shot_tasks_for_episode(episode)] == [task["id"]]


def test_descriptors_and_budgets(admin):
    project, _, _, shot, _, _ = _setup()
    descriptor = gazu.project.add_metadata_descriptor(project, "Difficulty", "Shot", choices=["easy", "hard"])
    assert descriptor["field_name"] == "difficulty"
    shot["data"] = {"difficulty": "hard"}
    gazu.shot.update_shot(shot)
    assert gazu.shot.get_shot(shot["id"])["data"]["difficulty"] == "hard"
    descriptors = gazu.project.all_metadata_descriptors(project)
    assert [d["name"] for d in descriptors] == ["Difficulty"]

    budget = gazu.project.create_budget(project, "V1", currency="EUR")
    assert (budget["revision"], budget["currency"]) == (1, "EUR")
    assert [b["name"] for b in gazu.project.get_budgets(project)] == ["V1"]
