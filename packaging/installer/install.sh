#!/usr/bin/env bash
# 年报收集（nianbao）离线安装（统信UOS、银河麒麟等 Linux）：装在您自己的文件夹中，不需要 root（sudo）；
# 只用本安装包中的文件，不需要网络。运行：bash install.sh  （可加 --workspace 文件夹：本轮收集的数据放在哪里）
set -u
here="$(cd "$(dirname "$0")" && pwd)"
setup="$here/setup/install.py"
if [ ! -f "$setup" ]; then
    echo "找不到 $setup：请先把整个压缩包解压，再在解压出来的文件夹中运行 bash install.sh" >&2
    exit 1
fi

# 第一个 3.10 以上的 Python（或 NIANBAO_PYTHON 指定的那一个）；没有时用 3.7 以上的，由安装程序说明怎么办。
find_python() {
    local candidate oldest candidates=(@PYTHON_COMMANDS@ python3)
    if [ -n "${NIANBAO_PYTHON:-}" ]; then
        candidates=("$NIANBAO_PYTHON")
    fi
    for oldest in 10 7; do
        for candidate in "${candidates[@]}"; do
            if command -v "$candidate" >/dev/null 2>&1 &&
                "$candidate" -c "import sys; sys.exit(sys.version_info[:2] < (3, $oldest))" 2>/dev/null; then
                echo "$candidate"
                return 0
            fi
        done
    done
    return 1
}

if ! python="$(find_python)"; then
    echo "这台电脑上没有找到能用的 Python ${NIANBAO_PYTHON:-python3}（需要 @PYTHONS_SHOWN@ 中的一个）。请在应用商店或请信息中心安装，详见“使用说明.txt”。" >&2
    exit 1
fi
exec "$python" "$setup" "$@"
