"""cluster/kubernetes/: the manifests are valid without a cluster. Core objects (the PVC, every
pod template of the MPIJob) against the Kubernetes schemas with kubernetes-validate (strict: an
unknown field is an error); the MPIJob's own fields against the MPI Operator's kubeflow.org/v2beta1
structure (MPIJobSpec, RunPolicy, ReplicaSpec, as the operator's Go types define them); and the
launcher runs the same training line as the Slurm GPU recipe.
"""
import os
import re
import shlex

import pytest

from .conftest import ROOT

kv = pytest.importorskip("kubernetes_validate", reason="needs kubernetes-validate (dpt[test])")
yaml = pytest.importorskip("yaml", reason="needs PyYAML (comes with kubernetes-validate)")
jsonschema = pytest.importorskip("jsonschema", reason="needs jsonschema (with kubernetes-validate)")

MANIFEST = os.path.join(ROOT, "cluster", "kubernetes", "mpijob.yaml")
DOCKERFILE = os.path.join(ROOT, "cluster", "kubernetes", "Dockerfile")
GPU_RECIPE = os.path.join(ROOT, "cluster", "slurm", "gpu_multinode.sbatch")
K8S_VERSION = "1.30.0"  # an old-enough API that every current cluster serves

_INT = {"type": "integer"}
_STR = {"type": "string"}


def _obj(props, required=()):
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


# kubeflow.org/v2beta1 MPIJob (github.com/kubeflow/mpi-operator, pkg/apis/kubeflow/v2beta1):
# the fields and enums of MPIJobSpec, RunPolicy, SchedulingPolicy and ReplicaSpec. The pod
# template is a core PodTemplateSpec, checked against the Kubernetes schema separately.
REPLICA_SPEC = _obj({"replicas": {"type": "integer", "minimum": 0},
                     "template": {"type": "object"},
                     "restartPolicy": {"enum": ["Always", "OnFailure", "Never", "ExitCode"]}},
                    required=["template"])
MPIJOB_V2BETA1 = _obj({
    "apiVersion": {"const": "kubeflow.org/v2beta1"},
    "kind": {"const": "MPIJob"},
    "metadata": {"type": "object", "required": ["name"]},
    "spec": _obj({
        "slotsPerWorker": {"type": "integer", "minimum": 1},
        "runLauncherAsWorker": {"type": "boolean"},
        "runPolicy": _obj({
            "cleanPodPolicy": {"enum": ["", "All", "Running", "None"]},
            "ttlSecondsAfterFinished": _INT, "activeDeadlineSeconds": _INT,
            "backoffLimit": {"type": "integer", "minimum": 0},
            "schedulingPolicy": _obj({"minAvailable": _INT, "queue": _STR,
                                      "minResources": {"type": "object"},
                                      "priorityClass": _STR, "scheduleTimeoutSeconds": _INT}),
            "suspend": {"type": "boolean"}, "managedBy": _STR}),
        "mpiReplicaSpecs": _obj({"Launcher": REPLICA_SPEC, "Worker": REPLICA_SPEC},
                                required=["Launcher"]),
        "sshAuthMountPath": _STR,
        "launcherCreationPolicy": {"enum": ["AtStartup", "WaitForWorkersReady"]},
        "mpiImplementation": {"enum": ["OpenMPI", "Intel", "MPICH"]},
    }, required=["mpiReplicaSpecs"]),
}, required=["apiVersion", "kind", "metadata", "spec"])


def docs():
    with open(MANIFEST) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def mpijob():
    (job,) = [d for d in docs() if d["kind"] == "MPIJob"]
    return job


def pod_templates(job):
    for role, spec in job["spec"]["mpiReplicaSpecs"].items():
        yield role, {"apiVersion": "v1", "kind": "PodTemplate",
                     "metadata": {"name": f"{job['metadata']['name']}-{role.lower()}"},
                     "template": spec["template"]}


def check(objects):
    for d in objects:
        if d["kind"] == "MPIJob":
            jsonschema.validate(d, MPIJOB_V2BETA1)
            for _, tmpl in pod_templates(d):
                kv.validate(tmpl, K8S_VERSION, strict=True)
        else:
            kv.validate(d, K8S_VERSION, strict=True)


def test_manifests_are_valid():
    objects = docs()
    assert {d["kind"] for d in objects} == {"PersistentVolumeClaim", "MPIJob"}
    check(objects)
    # the volume the pods mount is the claim defined here
    claims = {d["metadata"]["name"] for d in objects if d["kind"] == "PersistentVolumeClaim"}
    for _, tmpl in pod_templates(mpijob()):
        for vol in tmpl["template"]["spec"]["volumes"]:
            assert vol["persistentVolumeClaim"]["claimName"] in claims


@pytest.mark.parametrize("breakage", ["job-field", "enum", "container-field", "pvc-field"])
def test_validation_catches_mistakes(breakage):
    objects = docs()
    job = next(d for d in objects if d["kind"] == "MPIJob")
    pvc = next(d for d in objects if d["kind"] == "PersistentVolumeClaim")
    if breakage == "job-field":
        job["spec"]["slotPerWorker"] = job["spec"].pop("slotsPerWorker")
    elif breakage == "enum":
        job["spec"]["mpiImplementation"] = "mpich"
    elif breakage == "container-field":
        c = job["spec"]["mpiReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]
        c["volumeMount"] = c.pop("volumeMounts")
    else:
        pvc["spec"]["accessMode"] = pvc["spec"].pop("accessModes")
    with pytest.raises((jsonschema.ValidationError, kv.ValidationError)):
        check(objects)


def _training_args(words):
    """The ddp_digits.py arguments of a launch line, without the checkpoint's path."""
    i = next(i for i, w in enumerate(words) if w.endswith("examples/ddp_digits.py"))
    args = words[i + 1:]
    if "--checkpoint" in args:
        j = args.index("--checkpoint")
        del args[j:j + 2]
    return [a for a in args if a != "$@"]


def test_launcher_runs_the_recipes_training_line():
    job = mpijob()
    cmd = job["spec"]["mpiReplicaSpecs"]["Launcher"]["template"]["spec"]["containers"][0][
        "command"]
    assert cmd[:2] == ["mpiexec", "-n"] and cmd[3] == "python", cmd
    workers = job["spec"]["mpiReplicaSpecs"]["Worker"]
    gpus = workers["template"]["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"]
    # one rank per GPU: ranks = workers x slots, slots = GPUs per worker pod
    assert int(cmd[2]) == workers["replicas"] * job["spec"]["slotsPerWorker"]
    assert job["spec"]["slotsPerWorker"] == int(gpus)
    # the srun line of the GPU recipe, its continuation lines joined
    text = open(GPU_RECIPE).read().replace("\\\n", " ")
    srun = next(ln for ln in text.splitlines() if ln.startswith("srun "))
    recipe = shlex.split(srun.replace('"$root/', '"/'))
    assert _training_args(cmd) == _training_args(recipe), (cmd, srun)
    # the image's MPI is the one the job declares
    assert job["spec"]["mpiImplementation"] == "MPICH"
    assert re.search(r'pip install [^\n]*\.\[[^\]]*\bmpich\b', open(DOCKERFILE).read())
