#!/bin/sh
# Copies the pinned files of node_modules into the console's static files
# (cloud/http/console/vendor), which the cloud binary embeds.
set -eu
cd "$(dirname "$0")"
dst=../console/vendor
mkdir -p "$dst"
cp node_modules/echarts/dist/echarts.min.js "$dst/echarts.min.js"
cp node_modules/echarts/LICENSE "$dst/echarts.LICENSE.txt"
cp node_modules/echarts/NOTICE "$dst/echarts.NOTICE.txt"
cp node_modules/echarts/licenses/LICENSE-d3 "$dst/echarts.LICENSE-d3.txt"
cp node_modules/zrender/LICENSE "$dst/zrender.LICENSE.txt"
cp node_modules/tslib/LICENSE.txt "$dst/tslib.LICENSE.txt"
