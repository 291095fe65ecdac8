/**
 * A small Python program, run with the python3 that Flask/FastAPI/Robyn apps already need, that
 * reads source files with Python's own `ast` module and prints the facts the route readers need
 * (constructors, decorators, calls, imports, constants) as JSON. It never imports or runs the
 * application. Input on stdin: {"root": dir, "files": [relative paths]}.
 * Output: {"files": [PyFile...]}, see python-facts.ts for the shape.
 */
export const PYTHON_FACTS_SCRIPT = String.raw`
import ast, json, sys, os

CTORS = {"Flask", "Blueprint", "FastAPI", "APIRouter", "Robyn", "SubRouter", "Quart"}
CALLS = {"register_blueprint", "include_router", "add_url_rule", "add_api_route", "add_route"}
ROUTE_ATTRS = {"route", "get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket"}

def dotted(n):
    if isinstance(n, ast.Name):
        return n.id
    if isinstance(n, ast.Attribute):
        d = dotted(n.value)
        return d + "." + n.attr if d else None
    return None

def value(n):
    try:
        return ast.literal_eval(n)
    except Exception:
        pass
    if isinstance(n, (ast.Name, ast.Attribute)):
        return {"$name": dotted(n)}
    if isinstance(n, ast.Call):
        return {"$call": dotted(n.func), "args": [value(a) for a in n.args]}
    if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add):
        return {"$add": [value(n.left), value(n.right)]}
    if isinstance(n, (ast.List, ast.Tuple, ast.Set)):
        return [value(e) for e in n.elts]
    try:
        return {"$expr": ast.unparse(n)}
    except Exception:
        return {"$expr": "?"}

def call_facts(c):
    return {"args": [value(a) for a in c.args],
            "kwargs": {k.arg: value(k.value) for k in c.keywords if k.arg}}

def annotations(fn):
    out = {}
    for a in fn.args.args + fn.args.kwonlyargs:
        if a.annotation is not None:
            try:
                out[a.arg] = ast.unparse(a.annotation)
            except Exception:
                pass
    return out

def module_name(rel):
    p = rel[:-3] if rel.endswith(".py") else rel
    p = p.replace(os.sep, ".")
    return p[: -len(".__init__")] if p.endswith(".__init__") else p

def facts(rel, text):
    tree = ast.parse(text, filename=rel)
    mod = module_name(rel)
    pkg = mod.rsplit(".", 1)[0] if "." in mod else ""
    if rel.endswith("__init__.py"):
        pkg = mod
    scope = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for n in ast.walk(fn):
                if n is not fn:
                    scope[id(n)] = fn.name
    out = {"file": rel, "module": mod, "imports": [], "consts": {}, "objects": [], "routes": [], "calls": [], "classes": {}}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.split(".") if pkg else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([p for p in parts + ([node.module] if node.module else []) if p])
            for a in node.names:
                out["imports"].append({"module": base, "name": a.name, "alias": a.asname or a.name})
        elif isinstance(node, ast.Import):
            for a in node.names:
                out["imports"].append({"module": a.name, "name": None, "alias": a.asname or a.name})
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            tgt = dotted(node.targets[0])
            v = node.value
            if tgt is None:
                continue
            if isinstance(v, ast.Call):
                fn = dotted(v.func) or ""
                if fn.split(".")[-1] in CTORS:
                    f = call_facts(v)
                    f.update({"var": tgt, "ctor": fn.split(".")[-1], "line": node.lineno, "scope": scope.get(id(node))})
                    out["objects"].append(f)
                    continue
            try:
                out["consts"][tgt] = ast.literal_eval(v)
            except Exception:
                pass
        elif isinstance(node, ast.ClassDef):
            names = [b.name.upper() for b in node.body if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef))]
            out["classes"][node.name] = [n for n in names if n in ("GET", "POST", "PUT", "PATCH", "DELETE")]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for d in node.decorator_list:
                if not isinstance(d, ast.Call) or not isinstance(d.func, ast.Attribute):
                    continue
                if d.func.attr not in ROUTE_ATTRS:
                    continue
                obj = dotted(d.func.value)
                if obj is None:
                    continue
                f = call_facts(d)
                f.update({"obj": obj, "attr": d.func.attr, "line": d.lineno, "func": node.name, "annotations": annotations(node)})
                out["routes"].append(f)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CALLS:
            obj = dotted(node.func.value)
            if obj is None:
                continue
            f = call_facts(node)
            f.update({"obj": obj, "attr": node.func.attr, "line": node.lineno})
            out["calls"].append(f)
    return out

def main():
    req = json.load(sys.stdin)
    root = req["root"]
    files, errors = [], []
    for rel in req["files"]:
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as fh:
                files.append(facts(rel, fh.read()))
        except SyntaxError as e:
            errors.append({"file": rel, "message": "syntax error line %s: %s" % (e.lineno, e.msg)})
        except Exception as e:
            errors.append({"file": rel, "message": str(e)})
    json.dump({"files": files, "errors": errors}, sys.stdout)

main()
`;
