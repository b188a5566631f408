"""The one source archive Terraform deploys must hold every entry point and nothing else."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import main
from emulators import tfmodel

ROOT = Path(__file__).resolve().parents[2]


def _build_source() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_source", ROOT / "scripts" / "build_source.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_staged_source_holds_main_functions_common_and_requirements_only(tmp_path: Path) -> None:
    staged = _build_source().build(tmp_path / "source")
    assert {p.split("/")[0] for p in staged} == {"main.py", "requirements.txt", "functions", "common"}
    assert not [p for p in staged if "__pycache__" in p or p.endswith(".pyc")]


def test_the_staged_source_holds_no_development_tooling(tmp_path: Path) -> None:
    """The corpus generator and importer, the evals, the dev JWKS and token minter, the
    demo and the benchmarks run on developers' machines only: none is deployed."""
    staged = _build_source().build(tmp_path / "source")
    assert [p for p in staged if p.endswith(".py")]  # the check below must see the real archive
    dev_only = ("replay", "devauth", "devtools", "eval", "demo", "bench", "generate", "importer", "stack_main")
    assert [p for p in staged if any(part in p for part in dev_only)] == []


def test_every_entry_point_imports_from_the_staged_source_alone(tmp_path: Path) -> None:
    """No entry point may import tests/, emulators/ or anything else left out of the archive."""
    destination = tmp_path / "source"
    _build_source().build(destination)
    probe = "import json, main; print(json.dumps(sorted(n for n in main.__all__ if callable(getattr(main, n)))))"
    result = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(destination)!r}); {probe}"],
        cwd=destination,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == sorted(main.__all__)


def test_the_archive_is_named_by_its_content_hash_and_deployed_to_every_function() -> None:
    model = tfmodel.load()
    obj = tfmodel.unquote(model.resources("google_storage_bucket_object")["source"])
    assert obj["name"] == "source-${data.archive_file.source.output_md5}.zip"
    [archive] = [tfmodel.unquote(b)["archive_file"]["source"] for b in model.blocks("data") if '"archive_file"' in b]
    assert archive["source_dir"] == "${path.module}/.build/source"
    function = model.resources("google_cloudfunctions2_function")["function"]
    assert function["for_each"] == "${local.functions}"
    source = function["build_config"][0]["source"][0]["storage_source"][0]
    assert source["object"] == "${google_storage_bucket_object.source.name}"


def test_an_instance_loads_only_its_own_function() -> None:
    """main.py resolves entry points on first access: dispatch's instance never imports the
    API's Flask app, detect's engine or the sketches' numpy."""
    probe = (
        "import json, sys, main; main.dispatch; "
        "print(json.dumps(sorted(m for m in ('numpy', 'scipy', 'functions.api.app', 'functions.detect.main', "
        "'functions.fetch.main') if m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def _build_grants(model: tfmodel.TerraformModel) -> dict[str, str]:
    """Resource type.name -> role of every grant to the build account."""
    grants = {}
    for block in model.blocks("resource"):
        for rtype, named in block.items():
            for name, body in named.items():
                if tfmodel.unquote(body.get("member")) == "${google_service_account.build.member}":
                    grants[f"{tfmodel.unquote(rtype)}.{tfmodel.unquote(name)}"] = tfmodel.unquote(body["role"])
    return grants


def test_functions_are_built_by_their_own_account_into_a_repository_that_deletes_old_images() -> None:
    """Not the default compute account, which may still hold Editor on the project; and not
    gcf-artifacts, where every deploy's images would pile up."""
    model = tfmodel.load()
    build = tfmodel.unquote(model.resources("google_cloudfunctions2_function")["function"]["build_config"][0])
    assert build["service_account"] == "${google_service_account.build.id}"
    assert build["docker_repository"] == "${google_artifact_registry_repository.functions.id}"
    assert _build_grants(model) == {
        "google_storage_bucket_iam_member.build_reads_source": "roles/storage.objectViewer",
        "google_project_iam_member.build_reads_staged_source": "roles/storage.objectViewer",
        "google_artifact_registry_repository_iam_member.build_pushes": "roles/artifactregistry.writer",
        "google_project_iam_member.build_logs": "roles/logging.logWriter",
    }
    depends = model.resources("google_cloudfunctions2_function")["function"]["depends_on"]
    assert {"${" + grant + "}" for grant in _build_grants(model)} <= set(depends)  # no build before its grants
    repository = tfmodel.unquote(model.resources("google_artifact_registry_repository")["functions"])
    assert repository["format"] == "DOCKER" and repository["cleanup_policy_dry_run"] is False
    actions = {p["action"]: p for p in repository["cleanup_policies"]}
    assert actions["KEEP"]["most_recent_versions"][0]["keep_count"] >= 1
    assert actions["DELETE"]["condition"][0]["older_than"].endswith("s")


def test_the_build_account_reads_only_the_bucket_cloud_functions_stages_the_source_in() -> None:
    """The build fetches the archive from Cloud Functions' copy (gcf-v2-sources-...), made at
    the first deploy: a project grant, but held to that bucket."""
    grant = tfmodel.unquote(tfmodel.load().resources("google_project_iam_member")["build_reads_staged_source"])
    [condition] = grant["condition"]
    assert condition["expression"].replace('\\"', '"') == (  # the parser may keep HCL's escapes
        'resource.name.startsWith("projects/_/buckets/gcf-v2-sources-${data.google_project.this.number}-${var.region}")'
    )
