#!/usr/bin/env bash
# 卸载年报收集：删除程序和“年报收集”图标；工作区（名单、收到的表格、记录）不删除。运行：bash uninstall.sh
set -u
here="$(cd "$(dirname "$0")" && pwd)"
setup="$here/setup/install.py"
if [ ! -f "$setup" ]; then
    echo "找不到卸载程序 $setup。可以直接删除 ~/.local/share/nianbao 和桌面上的“年报收集”图标。" >&2
    exit 1
fi
python=""
for candidate in ${NIANBAO_PYTHON:-@PYTHON_COMMANDS@ python3}; do
    if command -v "$candidate" >/dev/null 2>&1; then
        python="$candidate"
        break
    fi
done
if [ -z "$python" ]; then
    echo "没有找到 python3，无法自动卸载。可以直接删除 ~/.local/share/nianbao 和桌面上的“年报收集”图标。" >&2
    exit 1
fi
cd / && exec "$python" "$setup" --uninstall "$@"
