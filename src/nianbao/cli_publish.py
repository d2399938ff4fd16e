"""`nianbao publish`: each passed unit's annual report to publish (发布稿), from the version the county counted."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from nianbao.cli_shared import EXIT_PROBLEMS, friendly, open_workspace, workspace_option
from nianbao.collection.layout import PUBLISH_DIR
from nianbao.io.files import shown
from nianbao.phrases import why


@click.command("publish")
@click.argument("units", nargs=-1)
@click.option("--date", "dated", default=None, metavar="日期", help="落款日期，如 2026-01-25（默认今天）。")
@workspace_option
@friendly
def publish_command(units: tuple[str, ...], dated: str | None, workspace: Path | None) -> None:
    """为已通过的单位生成年度报告发布稿（Word 和网页，放在工作区的“发布稿”目录中）：数字取自县里计入并汇总的版本，
    正文一、五、六是单位自己写的（没写的部分按数字起草并标明【草稿】），落款为单位名称和日期。

    UNITS 写单位编码或名称（可写多个）；不写则为名单上每个已通过的单位生成。没有通过的单位不生成，并说明原因。

    再次运行会用计入版本重新生成（覆盖“发布稿”中同名的文件）。"""
    from nianbao.operations.generate import deadline_date
    from nianbao.problems import NianbaoError

    try:
        day = deadline_date(dated) if dated else None
    except NianbaoError:
        raise click.BadParameter(f"{dated!r} 不是日期，请写成 2026-01-25", param_hint="--date") from None
    opened = open_workspace(workspace)
    done = opened.publish(units, day)
    for publication in done:
        state = publication.state
        who = f"{state.unit_id} {state.unit_name}"
        if publication.published:
            names = publication.files[0].stem + "（" + "、".join(path.suffix for path in publication.files) + "）"
            drafted = "（有部分正文为起草的【草稿】，发布前请单位修改）" if publication.drafted else ""
            click.secho(f"✓ {who}：{names}{drafted}", fg="green")
        else:
            click.secho(f"✗ {who}：{state.state}{why(state)}，未生成发布稿", fg="red" if units else None)
    made = sum(p.published for p in done)
    where = shown(opened.root / PUBLISH_DIR)
    click.echo(f"已为 {made} 个单位生成发布稿，保存在 {where}；未通过的 {len(done) - made} 个单位没有生成。")
    if made == 0 or (units and made < len(done)):
        sys.exit(EXIT_PROBLEMS)


COMMANDS = [publish_command]
