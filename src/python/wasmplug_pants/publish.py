"""`pants publish` for `wasm_plugin`: push the packaged `.wasm` to OCI registries as wasmplug artifacts.

Modelled on Pants' publishers (the docker backend's `registries`/`skip_push`, twine's tool VenvPex
run as an `InteractiveProcess`): `repositories` and `oci_tags` on the target name the references,
`skip_push` and `[wasmplug-oci].dry_run` report what would be pushed without pushing. The push runs
`python -m wasmplug.oci push` in a tool PEX holding the `oras` library (the built-in lockfile
`wasmplug_oci.lock` unless `install_from_resolve` is set), with the runtime's `oci` module
(standard library + oras) that the backend's wheel carries as resources. The manifest annotations
are `wasmplug push`'s: the services, ABI and SDK the plugin describes, read here from the packaged
`.wasm` with the generator's `describe` module (standard library only, Python 3.9).
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from pants.backend.python.subsystems.python_tool_base import LockfileRules, PythonToolBase
from pants.backend.python.target_types import EntryPoint
from pants.backend.python.util_rules.pex import PexRequest, VenvPex, VenvPexProcess
from pants.core.goals.publish import (
    PublishFieldSet,
    PublishOutputData,
    PublishPackages,
    PublishProcesses,
    PublishRequest,
)
from pants.engine.fs import CreateDigest, Digest, DigestContents, FileContent, MergeDigests
from pants.engine.process import InteractiveProcess, Process
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import BoolField, StringSequenceField
from pants.option.option_types import BoolOption
from pants.util.logging import LogLevel
from pants.util.strutil import help_text, softwrap
from wasmplug_codegen import describe
from wasmplug_pants.target_types import WasmPlugin

# The runtime's modules the push needs: wasmplug/oci.py imports only these, the standard library
# and oras. The backend's wheel carries them in OCI_CLIENT_DIR (src/python/wasmplug_pants/BUILD).
OCI_CLIENT_FILES = ("oci.py", "errors.py", "_digest.py")
OCI_CLIENT_DIR = "oci_client"
_HOLLOW_INIT = b'"""Only wasmplug.oci (and what it imports), for `pants publish`."""\n'


class WasmPluginRepositoriesField(StringSequenceField):
    alias = "repositories"
    help = help_text("""
        OCI repositories to push this plugin to with `pants publish`, as `REGISTRY/REPOSITORY`
        (e.g. `registry.example.com/plugins/greeter`, `127.0.0.1:5000/plugins/greeter`). Each
        gets every tag of `oci_tags`. Registries on a loopback address are spoken to in plain HTTP.
        """)


class WasmPluginOciTagsField(StringSequenceField):
    alias = "oci_tags"
    default = ("latest",)
    help = "The tags pushed to each of `repositories`."


class WasmPluginSkipPushField(BoolField):
    alias = "skip_push"
    default = False
    help = "If true, `pants publish` does not push this plugin (it reports it as skipped)."


class WasmplugOci(PythonToolBase):
    options_scope = "wasmplug-oci"
    name = "wasmplug-oci"
    help = softwrap("""
        The OCI client behind `pants publish` of `wasm_plugin` targets: the `oras` library plus
        wasmplug's `oci` module (carried by the backend, not imported by Pants).
        """)

    default_version = "oras>=0.2.25,<0.3"
    default_requirements = ["oras>=0.2.25,<0.3"]
    default_main = EntryPoint("wasmplug.oci")

    register_interpreter_constraints = True
    default_interpreter_constraints = ["CPython>=3.9,<3.14"]

    default_lockfile_resource = ("wasmplug_pants", "wasmplug_oci.lock")
    lockfile_rules_type = LockfileRules.SIMPLE

    dry_run = BoolOption(
        default=False,
        help=softwrap("""
            Print what `pants publish` would push for each `wasm_plugin` (file and references)
            and push nothing.
            """),
    )
    plain_http = BoolOption(
        default=False,
        help=softwrap("""
            Speak plain HTTP to every registry (loopback registries always are), for a registry
            without TLS on another host.
            """),
    )


class OciClientNotFound(Exception):
    pass


def read_oci_client() -> dict[str, bytes]:
    """The OCI client's files by name (read, not imported: the runtime's package needs wasmtime).

    From the backend's wheel, which carries them as resources of this package
    (`wasmplug_pants/oci_client/`, see its BUILD); else, like the generator's sources, from the
    `wasmplug` package on Pants' Python path (the repo that develops wasmplug, on `pythonpath`).
    """
    bundled = importlib.resources.files("wasmplug_pants") / OCI_CLIENT_DIR
    spec = importlib.util.find_spec("wasmplug")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for directory in [bundled, *map(Path, locations)]:
        if all((directory / f).is_file() for f in OCI_CLIENT_FILES):
            return {f: (directory / f).read_bytes() for f in OCI_CLIENT_FILES}
    raise OciClientNotFound(
        "`pants publish` of a wasm_plugin needs wasmplug's OCI client"
        f" ({', '.join(OCI_CLIENT_FILES)}), found neither in the backend ({bundled}) nor in a"
        f" `wasmplug` package on Pants' Python path ({locations or 'none'}): install"
        " pants-backend-wasmplug into `[GLOBAL].plugins` (its wheel carries them) or put the"
        " runtime's sources on `[GLOBAL].pythonpath`."
    )


@dataclass(frozen=True)
class OciTool:
    pex: VenvPex


@dataclass(frozen=True)
class OciToolRequest:
    pass


@rule(desc="Build the wasmplug OCI tool", level=LogLevel.DEBUG)
async def oci_tool(_: OciToolRequest, oci: WasmplugOci) -> OciTool:
    files = [FileContent("wasmplug/__init__.py", _HOLLOW_INIT)] + [
        FileContent(f"wasmplug/{name}", content) for name, content in read_oci_client().items()
    ]
    sources = await Get(Digest, CreateDigest(files))
    pex = await Get(VenvPex, PexRequest, oci.to_pex_request(sources=sources))
    return OciTool(pex)


class PublishWasmPluginRequest(PublishRequest):
    pass


@dataclass(frozen=True)
class PublishWasmPluginFieldSet(PublishFieldSet):
    publish_request_type = PublishWasmPluginRequest
    required_fields = (WasmPluginRepositoriesField,)

    repositories: WasmPluginRepositoriesField
    oci_tags: WasmPluginOciTagsField
    skip_push: WasmPluginSkipPushField

    def references(self) -> tuple[str, ...]:
        return tuple(
            f"{repo}:{tag}"
            for repo in self.repositories.value or ()
            for tag in self.oci_tags.value or ()
        )

    def get_output_data(self) -> PublishOutputData:
        return PublishOutputData(
            {
                "publisher": "wasmplug-oci",
                "repositories": self.repositories.value or (),
                **super().get_output_data(),
            }
        )


@rule(desc="Push a wasm_plugin to OCI registries", level=LogLevel.DEBUG)
async def publish_wasm_plugin(
    request: PublishWasmPluginRequest, oci: WasmplugOci
) -> PublishProcesses:
    field_set = request.field_set
    refs = field_set.references()
    wasm_files = tuple(a.relpath for pkg in request.packages for a in pkg.artifacts if a.relpath)
    if not refs or not wasm_files:
        return PublishProcesses()
    if field_set.skip_push.value:
        return PublishProcesses(
            [
                PublishPackages(
                    names=refs,
                    description=f"(by `{field_set.skip_push.alias}` on {field_set.address})",
                )
            ]
        )
    if oci.dry_run:
        return PublishProcesses(
            [
                PublishPackages(
                    names=refs, description=f"(dry run: would push {', '.join(wasm_files)})"
                )
            ]
        )
    tool, packages = await MultiGet(
        Get(OciTool, OciToolRequest()),
        Get(Digest, MergeDigests(pkg.digest for pkg in request.packages)),
    )
    contents = await Get(DigestContents, Digest, packages)
    described = {c.path: describe.manifest_annotations(c.content) for c in contents}
    jobs = []
    for wasm in wasm_files:
        argv = [
            "push",
            wasm,
            *refs,
            *(["--plain-http"] if oci.plain_http else []),
            *(f"--annotation={k}={v}" for k, v in described[wasm].items()),
        ]
        process = await Get(
            Process,
            VenvPexProcess(
                tool.pex,
                argv=argv,
                input_digest=packages,
                description=f"Push {wasm} to {', '.join(refs)}",
            ),
        )
        jobs.append(
            PublishPackages(
                names=refs,
                process=InteractiveProcess.from_process(process),
                description=wasm,
                data=PublishOutputData({"wasm": wasm}),
            )
        )
    return PublishProcesses(jobs)


def rules():
    return (
        *collect_rules(),
        *PublishWasmPluginFieldSet.rules(),
        *WasmplugOci.rules(),
        WasmPlugin.register_plugin_field(WasmPluginRepositoriesField),
        WasmPlugin.register_plugin_field(WasmPluginOciTagsField),
        WasmPlugin.register_plugin_field(WasmPluginSkipPushField),
    )
