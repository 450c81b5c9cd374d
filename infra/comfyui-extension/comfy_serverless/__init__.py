"""comfy-serverless file cleanup: one HTTP route for removing a finished task's files.

ComfyUI has no HTTP route that deletes files, so a task's outputs, temp previews and staged inputs
would stay on the shared disk (readable by later workflows) until a timer removes them. Once the
poller has copied a task's outputs to S3 it calls:

    POST /comfy-serverless/delete
    {"files":   [{"filename": "x_00001_.png", "subfolder": "<taskId>", "type": "output"}, ...],
     "folders": [{"subfolder": "<taskId>", "type": "input"}, ...]}

-> 200 {"deleted": <files and folders removed>, "missing": <entries already gone>}
-> 400 {"error": "..."} when any entry is malformed or leaves its folder; nothing is deleted then.

Only ComfyUI's output, input and temp folders are reachable: `type` picks one of them; `subfolder`
and `filename` are relative paths without "..", backslashes, NUL or a leading "/", and the resolved
path (symbolic links followed) must stay inside the folder. A folder entry removes that subfolder
and everything in it, never the base folder itself. `{"files": [], "folders": []}` deletes nothing
and answers 200: clients use it to detect the extension.

The package registers no nodes.
"""

import logging
import os
import shutil

import folder_paths
from aiohttp import web
from server import PromptServer

NODE_CLASS_MAPPINGS = {}
NODE_DISPLAY_NAME_MAPPINGS = {}

ROUTE = "/comfy-serverless/delete"
MAX_ENTRIES = 1000
_BASES = {
    "output": folder_paths.get_output_directory,
    "input": folder_paths.get_input_directory,
    "temp": folder_paths.get_temp_directory,
}
log = logging.getLogger("comfy_serverless")


class Refused(Exception):
    pass


def _relative(value, what, allow_empty):
    if not isinstance(value, str):
        raise Refused(f"{what} must be a string")
    if value == "":
        if allow_empty:
            return []
        raise Refused(f"{what} must not be empty")
    if "\x00" in value or "\\" in value or value.startswith("/") or os.path.isabs(value):
        raise Refused(f"{what} must be a relative path")
    parts = [p for p in value.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise Refused(f'{what} must not contain ".."')
    if not parts and not allow_empty:
        raise Refused(f"{what} must not be empty")
    return parts


def _inside(base, path):
    return os.path.commonpath([base, path]) == base


def _resolve(entry, is_folder):
    if not isinstance(entry, dict):
        raise Refused("each entry must be an object")
    kind = entry.get("type", "output")
    if kind not in _BASES:
        raise Refused("type must be output, input or temp")
    base = os.path.realpath(_BASES[kind]())
    sub = _relative(entry.get("subfolder", ""), "subfolder", allow_empty=not is_folder)
    if is_folder:
        target = os.path.join(base, *sub)
        real = os.path.realpath(target)
        if real == base or not _inside(base, real):
            raise Refused("the folder is outside its base folder")
        return real
    name = _relative(entry.get("filename"), "filename", allow_empty=False)
    target = os.path.join(base, *sub, *name)
    parent = os.path.realpath(os.path.dirname(target))
    if not _inside(base, parent) or not _inside(base, os.path.realpath(target)):
        raise Refused("the file is outside its base folder")
    return os.path.join(parent, os.path.basename(target))


@PromptServer.instance.routes.post(ROUTE)
async def delete_files(request):
    try:
        body = await request.json()
    except Exception:
        return web.json_response({"error": "the body must be JSON"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "the body must be an object"}, status=400)
    files = body.get("files", [])
    folders = body.get("folders", [])
    if not isinstance(files, list) or not isinstance(folders, list):
        return web.json_response({"error": "files and folders must be lists"}, status=400)
    if len(files) + len(folders) > MAX_ENTRIES:
        return web.json_response({"error": f"at most {MAX_ENTRIES} entries"}, status=400)
    try:
        file_paths = [_resolve(f, False) for f in files]
        folder_paths_ = [_resolve(f, True) for f in folders]
    except Refused as err:
        return web.json_response({"error": str(err)}, status=400)
    deleted = missing = 0
    for path in file_paths:
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                raise IsADirectoryError(path)
            os.unlink(path)
            deleted += 1
        except FileNotFoundError:
            missing += 1
        except OSError as err:
            log.warning("comfy-serverless: not deleted: %s (%s)", path, err)
    for path in folder_paths_:
        if not os.path.lexists(path):
            missing += 1
            continue
        try:
            if os.path.islink(path) or not os.path.isdir(path):
                os.unlink(path)
            else:
                shutil.rmtree(path)
            deleted += 1
        except OSError as err:
            log.warning("comfy-serverless: not deleted: %s (%s)", path, err)
    return web.json_response({"deleted": deleted, "missing": missing})
