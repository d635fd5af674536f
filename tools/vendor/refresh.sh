#!/usr/bin/env bash
# Refresh the vendored browser libraries in webapp/static/vendor/.
#
# The versions are pinned in tools/vendor/package.json + package-lock.json.
# To upgrade: edit package.json (exact versions only), run `npm install` in
# tools/vendor/, then run this script and commit package.json,
# package-lock.json and webapp/static/vendor/ together.
#
# Only distribution files are copied (no sources, no source maps):
#   vendor/bpmn-js/                    bpmn-js UMD bundles (global `BpmnJS`) + CSS + bpmn font
#   vendor/bpmn-js-properties-panel/   properties-panel.umd.js, built here with esbuild from
#                                      properties-panel-entry.js (global `OneWindowPropertiesPanel`)
#                                      + properties-panel.css
#   vendor/form-js/                    form-js editor/viewer UMD bundles (globals `FormEditor`,
#                                      `FormViewer`) + CSS
#   vendor/echarts/                    Apache ECharts minified bundle (global `echarts`) for the
#                                      statistics page
#   vendor/pdfjs/                      pdf.js UMD build (global `pdfjsLib`) + its worker, for the
#                                      inline preview of uploaded PDFs
# Each directory gets the package LICENSE files and a THIRD_PARTY_LICENSES.txt
# covering the code bundled inside the files. vendor/README.md is regenerated.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DEST="$ROOT/webapp/static/vendor"
NM="$HERE/node_modules"

cd "$HERE"
npm ci --no-audit --no-fund

ver() { node -p "require('$NM/$1/package.json').version"; }
lic() {
  local l; l="$(node -p "require('$NM/$1/package.json').license")"
  # bpmn-js and form-js say "SEE LICENSE IN LICENSE": MIT text + watermark clause
  if [ "$l" = "SEE LICENSE IN LICENSE" ]; then l="bpmn.io licence (MIT + watermark clause)"; fi
  printf '%s' "$l"
}

# Fresh output directories (only the ones this script owns).
rm -rf "$DEST/bpmn-js" "$DEST/bpmn-js-properties-panel" "$DEST/form-js" "$DEST/echarts" "$DEST/pdfjs"
mkdir -p "$DEST"

# Write THIRD_PARTY_LICENSES.txt: the licence text of every npm package whose
# code ends up in the files of a vendor directory (except the packages whose
# LICENSE is copied next to the files anyway).
#   third_party_licenses OUTFILE walk PKG...      production dependency closure of PKG...
#   third_party_licenses OUTFILE meta META.json   packages listed in an esbuild metafile
third_party_licenses() {
  local out="$1"; shift
  node - "$NM" "$out" "$@" <<'JS'
const fs = require('fs');
const path = require('path');
const [nm, out, mode, ...args] = process.argv.slice(2);

// Resolve a dependency the way node does: nested node_modules first, then upwards.
function resolveDir(fromDir, name) {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) return null;
  }
}
const readPkg = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));

const dirs = new Set();
let exclude = [];
let what;
if (mode === 'walk') {
  const walk = (dir) => {
    dir = fs.realpathSync(dir);
    if (dirs.has(dir)) return;
    dirs.add(dir);
    for (const dep of Object.keys(readPkg(dir).dependencies || {})) {
      const d = resolveDir(dir, dep);
      if (d) walk(d);
    }
  };
  args.forEach((r) => walk(path.join(nm, r)));
  exclude = args;
  what = 'production dependency closure of ' + args.join(', ');
} else if (mode === 'meta') {
  const meta = JSON.parse(fs.readFileSync(args[0], 'utf8'));
  for (const input of Object.keys(meta.inputs)) {
    // innermost node_modules/<pkg> of each bundled source file
    const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
    if (m) dirs.add(fs.realpathSync(path.resolve(m[1])));
  }
  exclude = args.slice(1);
  what = 'all packages with code in the esbuild bundle';
} else {
  throw new Error('unknown mode ' + mode);
}

const entries = new Map();
for (const dir of dirs) {
  const pkg = readPkg(dir);
  if (exclude.includes(pkg.name)) continue;
  const file = fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
  const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim()
                    : '(no licence file shipped; package.json says: ' + pkg.license + ')';
  entries.set(pkg.name + '@' + pkg.version, { pkg, text });
}
const parts = [...entries].sort(([a], [b]) => a.localeCompare(b)).map(([id, { pkg, text }]) =>
  '='.repeat(78) + '\n' + id + '  (' + pkg.license + ')\n' + '='.repeat(78) + '\n' + text + '\n');
fs.writeFileSync(out, 'Third-party packages bundled into the files in this directory\n(' + what + ').\n\n' + parts.join('\n'));
JS
}

# ---------------------------------------------------------------- bpmn-js
SRC="$NM/bpmn-js/dist"
OUT="$DEST/bpmn-js"
mkdir -p "$OUT/assets/bpmn-font/css" "$OUT/assets/bpmn-font/font"
cp "$SRC/bpmn-viewer.production.min.js" \
   "$SRC/bpmn-navigated-viewer.production.min.js" \
   "$SRC/bpmn-modeler.production.min.js" "$OUT/"
cp "$SRC/assets/diagram-js.css" "$SRC/assets/bpmn-js.css" "$OUT/assets/"
cp "$SRC/assets/bpmn-font/css/bpmn.css" "$OUT/assets/bpmn-font/css/"
cp "$SRC"/assets/bpmn-font/font/* "$OUT/assets/bpmn-font/font/"
cp "$NM/bpmn-js/LICENSE" "$OUT/LICENSE"
third_party_licenses "$OUT/THIRD_PARTY_LICENSES.txt" walk bpmn-js

# ------------------------------------------------- properties panel (built)
OUT="$DEST/bpmn-js-properties-panel"
mkdir -p "$OUT"
META="$(mktemp)"
trap 'rm -f "$META"' EXIT
# Identifiers are deliberately NOT minified: didi (the DI container of
# bpmn-js/diagram-js) may read constructor parameter names.
"$NM/.bin/esbuild" "$HERE/properties-panel-entry.js" \
  --bundle --format=iife --global-name=OneWindowPropertiesPanel \
  --platform=browser --target=es2019 \
  --minify-whitespace --minify-syntax \
  --legal-comments=none --log-level=warning \
  --metafile="$META" \
  --outfile="$OUT/properties-panel.umd.js"
cp "$NM/@bpmn-io/properties-panel/dist/assets/properties-panel.css" "$OUT/properties-panel.css"
cp "$NM/bpmn-js-properties-panel/LICENSE" "$OUT/LICENSE"
cp "$NM/@bpmn-io/properties-panel/LICENSE" "$OUT/LICENSE.bpmn-io-properties-panel"
cp "$NM/camunda-bpmn-moddle/LICENSE" "$OUT/LICENSE.camunda-bpmn-moddle"
cp "$NM/camunda-bpmn-js-behaviors/LICENSE" "$OUT/LICENSE.camunda-bpmn-js-behaviors"
third_party_licenses "$OUT/THIRD_PARTY_LICENSES.txt" meta "$META" \
  bpmn-js-properties-panel @bpmn-io/properties-panel camunda-bpmn-moddle camunda-bpmn-js-behaviors

# ---------------------------------------------------------------- form-js
SRC="$NM/@bpmn-io/form-js/dist"
OUT="$DEST/form-js"
mkdir -p "$OUT/assets"
cp "$SRC/form-editor.umd.js" "$SRC/form-viewer.umd.js" "$OUT/"
# form-js.css = viewer styles (incl. flatpickr); form-js-editor.css = editor
# styles (incl. the editor's properties panel and drag&drop styles).
cp "$SRC/assets/form-js.css" "$SRC/assets/form-js-editor.css" "$OUT/assets/"
cp "$NM/@bpmn-io/form-js/LICENSE" "$OUT/LICENSE"
third_party_licenses "$OUT/THIRD_PARTY_LICENSES.txt" walk @bpmn-io/form-js-viewer @bpmn-io/form-js-editor

# ---------------------------------------------------------------- echarts
SRC="$NM/echarts"
OUT="$DEST/echarts"
mkdir -p "$OUT"
cp "$SRC/dist/echarts.min.js" "$OUT/"
cp "$SRC/LICENSE" "$SRC/NOTICE" "$OUT/"
third_party_licenses "$OUT/THIRD_PARTY_LICENSES.txt" walk echarts

# ---------------------------------------------------------------- pdf.js
SRC="$NM/pdfjs-dist"
OUT="$DEST/pdfjs"
mkdir -p "$OUT"
cp "$SRC/build/pdf.min.js" "$SRC/build/pdf.worker.min.js" "$OUT/"
cp "$SRC/LICENSE" "$OUT/LICENSE"

# ---------------------------------------------------------------- README
row() { printf '| `%s` | %s | %s | `%s` |\n' "$1" "$(ver "$1")" "$(lic "$1")" "$2"; }
{
  cat <<'EOF'
# Vendored browser libraries

GENERATED by `tools/vendor/refresh.sh` — do not edit these files by hand.
Versions are pinned in `tools/vendor/package.json` / `package-lock.json`;
to upgrade, change the pins, `npm install` in `tools/vendor/`, run
`bash tools/vendor/refresh.sh` and commit everything together.
The app loads these files from `/static/vendor/...`; no CDN is used.

| package | version | licence | served from |
| --- | --- | --- | --- |
EOF
  row bpmn-js vendor/bpmn-js/
  row bpmn-js-properties-panel vendor/bpmn-js-properties-panel/
  row @bpmn-io/properties-panel vendor/bpmn-js-properties-panel/
  row camunda-bpmn-moddle vendor/bpmn-js-properties-panel/
  row camunda-bpmn-js-behaviors vendor/bpmn-js-properties-panel/
  row @bpmn-io/form-js vendor/form-js/
  row echarts vendor/echarts/
  row pdfjs-dist vendor/pdfjs/
  cat <<'EOF'

`properties-panel.umd.js` is not shipped by any package: it is built by
`refresh.sh` with esbuild from `tools/vendor/properties-panel-entry.js`
(bpmn-js-properties-panel + @bpmn-io/properties-panel + camunda-bpmn-js-behaviors
+ the camunda-bpmn-moddle descriptor).

Each directory holds the packages' `LICENSE` files and a
`THIRD_PARTY_LICENSES.txt` with the licences of the code bundled inside.

## bpmn.io watermark — must stay

bpmn-js and form-js are distributed under the bpmn.io licence: MIT plus the
clause that the code displaying the bpmn.io project watermark "MUST NOT be
removed or changed" and that the watermark "must stay fully visible and not
visually overlapped by other elements". That is the bpmn.io logo link in the
lower right corner of every diagram (viewer and modeler) and the "powered by
bpmn.io" link (`.fjs-powered-by`) that form-js renders under forms and in the
form editor. Do not hide them with CSS, remove them from the DOM, or cover them
(mind absolutely positioned toolbars/overlays in the bottom right corner).
See `bpmn-js/LICENSE` and `form-js/LICENSE`.

## Globals

| file | global |
| --- | --- |
| `bpmn-js/bpmn-viewer.production.min.js` | `BpmnJS` (Viewer) |
| `bpmn-js/bpmn-navigated-viewer.production.min.js` | `BpmnJS` (NavigatedViewer: viewer + zoom/scroll) |
| `bpmn-js/bpmn-modeler.production.min.js` | `BpmnJS` (Modeler) |
| `bpmn-js-properties-panel/properties-panel.umd.js` | `OneWindowPropertiesPanel` = `{ BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule, CamundaBehaviorsModule, camundaModdle }` |
| `form-js/form-editor.umd.js` | `FormEditor` = `{ FormEditor, createFormEditor, ... }` |
| `form-js/form-viewer.umd.js` | `FormViewer` = `{ Form, createForm, getSchemaVariables, ... }` |
| `echarts/echarts.min.js` | `echarts` (Apache ECharts; `LICENSE` + `NOTICE` must ship with it) |
| `pdfjs/pdf.min.js` | `pdfjsLib` (pdf.js; set `GlobalWorkerOptions.workerSrc` to `pdfjs/pdf.worker.min.js`, `isEvalSupported: false`) |

The three bpmn-js bundles all define `BpmnJS`: load one per page, or keep a
reference right after each `<script>` (`<script>window.BpmnViewer = BpmnJS</script>`).

## Modeler with properties panel (Camunda 7 attributes)

```html
<script src="/static/vendor/bpmn-js/bpmn-modeler.production.min.js"></script>
<script src="/static/vendor/bpmn-js-properties-panel/properties-panel.umd.js"></script>
<script>
  const P = OneWindowPropertiesPanel;
  const modeler = new BpmnJS({
    container: '#canvas',
    propertiesPanel: { parent: '#properties' },
    additionalModules: [
      P.BpmnPropertiesPanelModule, P.BpmnPropertiesProviderModule,
      P.CamundaPlatformPropertiesProviderModule, P.CamundaBehaviorsModule
    ],
    moddleExtensions: { camunda: P.camundaModdle }
  });
</script>
```

Plus the CSS: `bpmn-js/assets/diagram-js.css`, `bpmn-js/assets/bpmn-js.css`,
`bpmn-js/assets/bpmn-font/css/bpmn.css`, `bpmn-js-properties-panel/properties-panel.css`.
The panel subscribes to selection changes only after its first paint (preact
effects: next animation frame, at most ~100 ms). Selecting an element from code
(`modeler.get('selection').select(el)`) right after `importXML` resolves is
therefore not shown in the panel; delay it, e.g. `setTimeout(fn, 200)`
(`setTimeout(fn, 0)` is not enough). User clicks are unaffected.
EOF
} > "$DEST/README.md"

echo "vendored into $DEST:"
du -sh "$DEST"/* | sed "s|$ROOT/||"
echo "total: $(du -sb "$DEST" | cut -f1) bytes"
