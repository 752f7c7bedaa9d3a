"""Every problem perfxl can report, in one place: code, default severity, Chinese title and
message template (which says how to fix it). Every ``Problem`` is built here, by ``problem``.

An office may change the severity of any code marked ``adjustable`` in the ``[severity]``
section of its rules file; ``reference_markdown`` renders this registry as ``docs/rules.md``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .model import Problem, Severity

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


@dataclass(frozen=True)
class ProblemKind:
    """One kind of problem: what it is called, how bad it is by default, what it says."""

    code: str
    severity: Severity
    stage: str      # where it is found: 读取 / 识别 / 审核 / 自评 / 汇总 / 模板
    rule: str       # the review rule it implements (P1 … I16), or ""
    title: str      # what it means, in a few words
    message: str    # str.format template of the message; says what to change
    adjustable: bool = True  # may an office's rules file change its severity?
    setting: str = ""        # the rules-file key that tunes it, if any

    def render(self, **params: Any) -> str:
        return self.message.format(**params)


_NOT_NUMBER = "“{text}”不是数字；请只填写数字，例如 80"

KINDS: tuple[ProblemKind, ...] = (
    # reading files and folders
    ProblemKind("unreadable", ERROR, "读取", "", "文件无法读取", "{reason}", adjustable=False),
    ProblemKind("reader-crashed", ERROR, "读取", "", "读取进程意外退出",
                "读取这个文件的进程意外退出（{how}），文件没有读取，其余文件不受影响；文件可能已损坏或过大"
                "（每个文件可用内存上限 {memory_mb} MB，可用 --limit memory_mb=N 放宽），"
                "请用 Excel 或 WPS 打开后另存再提交",
                adjustable=False),
    ProblemKind("read-timeout", ERROR, "读取", "", "读取超时",
                "读取这个文件超过 {seconds} 秒仍未完成，已停止读取，其余文件不受影响；文件可能已损坏，"
                "请用 Excel 或 WPS 打开后另存再提交；确属正常的大文件，可用 --limit seconds=N 放宽", adjustable=False),
    ProblemKind("reader-error", ERROR, "识别", "", "perfxl 读取出错",
                "perfxl 读取这个文件时出了错（{error}），这是 perfxl 自身的问题，不是填报错误；文件中的表没有读出，"
                "请把文件交给维护人员", adjustable=False),
    ProblemKind("sheet-too-large", ERROR, "读取", "", "工作表范围过大，未读取",
                "工作表“{sheet}”的数据分布在约 {area:,} 个单元格的范围内，超过上限 {limit:,}，"
                "未读取该表；请删除远处多余的内容后重新提交，或用 --limit cells=N 放宽"),
    ProblemKind("sheet-unreadable", ERROR, "读取", "", "工作表结构异常，未读取",
                "工作表“{sheet}”的内容不是正常的 Excel 格式（{reason}），未读取该表；"
                "请用 Excel 或 WPS 打开后另存为 .xlsx 再提交"),
    ProblemKind("merges-too-many", WARNING, "读取", "", "合并单元格过多",
                "工作表有 {count:,} 个合并单元格，超过上限 {limit:,}；只使用了前面的部分，表格结构可能读错。"
                "请取消多余的合并，或用 --limit merges=N 放宽"),
    ProblemKind("cell-too-long", WARNING, "读取", "", "单元格文字过长，已截断",
                "单元格内容有 {length:,} 个字符，超过上限 {limit:,}，只读取了前 {limit:,} 个字符；请精简内容"),
    ProblemKind("cell-value-invalid", WARNING, "读取", "", "单元格的值与其类型不符，按文字读取",
                "单元格保存的值“{value}”不是{kind}（文件可能不是用 Excel 或 WPS 保存的），已按文字读取；"
                "请在 Excel 中检查该单元格并重新填写"),
    ProblemKind("folder-unreadable", ERROR, "读取", "", "文件夹无法打开",
                "文件夹无法打开（{reason}），其中的文件没有读取；请检查该文件夹的权限、名称和路径长度"),
    ProblemKind("office-lock-file", INFO, "读取", "", "Office 锁定文件，未读取",
                "这是 Office/WPS 的锁定文件（有人正打开着同名工作簿），不是工作簿本身；请关闭工作簿后再复制"),
    ProblemKind("not-a-workbook-file", INFO, "读取", "", "不是表格文件，未读取",
                "不是 perfxl 能读的表格文件（.xlsx / .xlsm / .xls / .et / .ods / .csv，"
                "或导出为网页、XML 表格的 .xls），没有读取{hint}"),
    ProblemKind("xlsb-not-read", WARNING, "读取", "", ".xlsb 未读取",
                "这是 Excel 二进制工作簿（.xlsb），perfxl 不读取这种格式（其内容无法在读取前检查），"
                "文件没有读取；请在 Excel 中另存为 .xlsx 后重新提交", adjustable=False),
    ProblemKind("own-summary-skipped", INFO, "读取", "", "perfxl 的汇总表，未读取",
                "这是 perfxl 写出的汇总表（一个单位的，或较早版本写出的），不是单位报送的表，没有读取；"
                "单位的汇总表是“全部单位_绩效目标汇总.xlsx”的一部分：层层汇总请只放下级的全部单位汇总表，"
                "其余汇总表请放在收件箱之外", adjustable=False),
    ProblemKind("rollup-read", INFO, "读取", "", "下级的全部单位汇总表，已层层汇总",
                "这是下级的全部单位汇总表，作为“{parent}”的汇总读入：{units} 个单位、{files} 个文件、{tables} 张表，"
                "各表保留原文件、单元格和原有问题；无需处理", adjustable=False),
    ProblemKind("rollup-overlaps-inbox", WARNING, "读取", "", "本收件箱以前的汇总表，未汇入",
                "这份全部单位汇总表汇总的正是本收件箱里的 {count} 个文件，是本收件箱以前的汇总，没有汇入"
                "（否则这些项目会算两次）；汇总表请放在收件箱之外", adjustable=False),
    ProblemKind("rollup-unplaced", WARNING, "读取", "", "无法判断是哪个下级的全部单位汇总表，未汇入",
                "收件箱顶层的全部单位汇总表无法判断是哪个下级的，没有汇入；层层汇总请把它放进以下级名称命名的文件夹"
                "（某县/全部单位_绩效目标汇总.xlsx），或改名为“某县_全部单位_绩效目标汇总.xlsx”；若是上年的汇总，"
                "请移出收件箱，用 --previous 与上年比较", adjustable=False),
    ProblemKind("rollup-unreadable", ERROR, "读取", "", "下级的全部单位汇总表无法汇总",
                "这是下级的全部单位汇总表，但无法按层层汇总读入（{reason}）；请放入下级 perfxl 写出的原样文件，"
                "不要排序或改动其中的工作表", adjustable=False),
    ProblemKind("own-annotated-copy-skipped", INFO, "读取", "", "perfxl 的批注副本，未读取",
                "这是 perfxl 写出的批注副本（check --annotate），不是单位报送的表，没有读取；单位在副本上改好后"
                "重新报送的，请先删除其中的“{sheet_name}”工作表", adjustable=False),
    ProblemKind("blank-template-skipped", INFO, "读取", "", "空白模板，未读取",
                "这是 perfxl 生成的空白模板，还没有填写，没有读取；填好后再放入收件箱", adjustable=False),
    ProblemKind("symlink-skipped", WARNING, "读取", "", "符号链接，未跟随",
                "这是一个符号链接（指向 {target}），为安全起见不跟随读取；请把文件本身放进收件箱"),
    ProblemKind("special-file-skipped", INFO, "读取", "", "不是普通文件，未读取",
                "这是一个{kind}，不是普通文件，读取它可能一直等下去，所以没有读取；请把工作簿文件本身放进收件箱"),
    ProblemKind("hidden-file-skipped", WARNING, "读取", "", "隐藏文件，未读取",
                "文件名以“.”开头，是隐藏文件，没有读取；如果这是要报送的表，请去掉文件名开头的“.”后重新放进收件箱"),
    ProblemKind("hidden-folder-skipped", INFO, "读取", "", "隐藏文件夹，未读取",
                "文件夹名以“.”开头，是隐藏文件夹，其中的文件都没有读取；如果里面有要报送的表，"
                "请去掉文件夹名开头的“.”"),
    ProblemKind("path-too-long", ERROR, "读取", "", "路径太长，未读取",
                "路径长 {length:,} 字节，超过操作系统允许的长度，文件没有读取；请把它移到层级较浅、名称较短的文件夹"),
    # finding and reading tables
    ProblemKind("no-table-found", WARNING, "识别", "", "没有找到绩效表",
                "工作簿中没有找到预算项目绩效表或部门整体支出绩效指标表（按“一级指标”“三级指标”“项目编码”等标签查找）；"
                "请确认提交的是绩效目标表"),
    ProblemKind("formula-no-cached-value", ERROR, "识别", "", "公式没有计算结果",
                "公式没有保存计算结果，读不到数值；请在 Excel 或 WPS 中打开并保存后重新提交，或把公式改为数值"),
    ProblemKind("cell-error-value", ERROR, "识别", "", "单元格是错误值",
                "单元格显示的是错误值“{text}”（公式出错，或引用的单元格已不存在），读不到数值；"
                "请改正公式，或直接填写数值"),
    ProblemKind("amount-not-number", ERROR, "识别", "", "年度资金总额不是数字", "年度资金总额" + _NOT_NUMBER),
    ProblemKind("spend-plan-not-number", ERROR, "识别", "", "资金支出计划不是数字",
                "资金支出计划“{name}”" + _NOT_NUMBER),
    ProblemKind("value-not-number", ERROR, "识别", "", "指标值不是数字", "指标值" + _NOT_NUMBER),
    ProblemKind("indicator-name-missing", ERROR, "识别", "I6", "三级指标名称为空",
                "这一行填了指标内容，但三级指标名称为空；请填写三级指标名称，或删除这一行多余的内容"),
    ProblemKind("operator-unknown", ERROR, "识别", "I7", "符号无法识别",
                "符号“{text}”无法识别；请改为 ≥、>、=、<、≤ 或“文字描述”之一"),
    ProblemKind("target-unsplit", WARNING, "识别", "", "指标值无法拆分",
                "指标值“{text}”有符号但没有可识别的数值，未能拆成符号、数值和单位；请写成“≥95%”这样的形式，"
                "或在符号栏写“文字描述”"),
    ProblemKind("header-label-unknown", WARNING, "识别", "", "表头标签不认识",
                "表头标签“{label}”不在标签词表中，其内容已原样保存；如是常见写法，请在标签词表中加入（--labels）"),
    ProblemKind("column-unknown", WARNING, "识别", "", "指标列标题不认识",
                "指标表的列标题“{label}”不在标签词表中，这一列的内容已原样保存在指标的其他信息里；"
                "如是常见写法，请在标签词表中加入（--labels）"),
    ProblemKind("target-column-missing", WARNING, "识别", "", "指标表没有指标值列",
                "指标表中没有找到“指标值”一类的列（认得：{known}），指标值未能读出；"
                "如表中用了别的列名，请在标签词表中加入（--labels）"),
    ProblemKind("goals-unread", WARNING, "识别", "", "找不到目标文字",
                "“{label}”的右侧和下方都没有找到目标文字；如果目标写在别处，perfxl 未能读出，请核对"),
    # the schemas
    ProblemKind("project-code-missing", ERROR, "审核", "P1", "项目编码为空", "项目编码为空；请填写项目编码"),
    ProblemKind("project-name-missing", ERROR, "审核", "P1", "项目名称为空", "项目名称为空；请填写项目名称"),
    ProblemKind("project-code-pattern", ERROR, "审核", "P1", "项目编码格式不符",
                "项目编码“{value}”不符合编码格式（如 105-0901-YBN-DPPC）；请按财政下达的编码填写",
                setting="project.code_pattern"),
    ProblemKind("amount-negative", ERROR, "审核", "", "年度资金总额为负数",
                "年度资金总额 {value} 为负数；请填写不小于 0 的金额（万元）"),
    ProblemKind("spend-plan-out-of-range", ERROR, "审核", "P2", "支出进度超出 0–100",
                "资金支出计划 {value} 不在 0–100 之间；累计进度请填 0 到 100 的百分数"),
    ProblemKind("percent-out-of-range", ERROR, "审核", "I10", "百分比超出 0–100",
                "指标值 {value}% 不在 0–100 之间；百分比指标请填 0 到 100 的数"),
    ProblemKind("operator-not-allowed", ERROR, "审核", "I7", "符号不在本单位允许的范围内",
                "符号“{value}”不在本单位允许的符号之内；请改为 {choices} 之一", setting="operators.choices"),
    ProblemKind("schema", ERROR, "审核", "", "数据不符合格式要求", "“{column}”列的值“{value}”不符合要求（{check}）"),
    # the review rules
    ProblemKind("project-code-duplicate", ERROR, "审核", "P1", "项目编码重复",
                "项目编码 {project_code} 出现了 {count} 次：{places}；同一项目只能填报一次，请删除重复或改正编码"),
    ProblemKind("spend-plan-not-cumulative", ERROR, "审核", "P3", "支出进度减少",
                "资金支出计划 {name}（{value:g}）小于 {previous}（{previous_value:g}），累计进度不能减少；"
                "请改为不小于 {previous_value:g} 的数"),
    ProblemKind("spend-plan-not-complete", WARNING, "审核", "P4", "年底支出进度不是 100",
                "资金支出计划最后一个节点 {name} 为 {value:g}，年底累计进度通常应为 100；请核实"),
    ProblemKind("goals-missing", ERROR, "审核", "P5", "没有绩效目标",
                "没有填写绩效目标；请至少填写一个绩效目标（目标1）"),
    ProblemKind("level1-unknown", ERROR, "审核", "I1", "一级指标不是规定类别",
                "一级指标“{level1}”不是规定的类别；请改为 {known} 之一", setting="categories, synonyms"),
    ProblemKind("level2-mismatch", ERROR, "审核", "I2", "二级指标不属于其一级指标",
                "二级指标“{level2}”不属于一级指标“{level1}”；请改为 {allowed} 之一", setting="categories"),
    ProblemKind("no-output-indicator", ERROR, "审核", "I3", "没有产出指标", "没有{name}；请至少设置一个{name}",
                setting="roles.output"),
    ProblemKind("no-benefit-indicator", ERROR, "审核", "I3", "没有效益指标",
                "没有{name}（效果指标）；请至少设置一个{name}", setting="roles.benefit"),
    ProblemKind("no-satisfaction-indicator", WARNING, "审核", "I4", "没有满意度指标",
                "没有{name}；建议设置服务对象满意度指标", setting="roles.satisfaction"),
    ProblemKind("no-quantity-indicator", WARNING, "审核", "I5", "没有数量指标",
                "没有{name}；建议至少设置一个可计数的数量指标", setting="roles.quantity"),
    ProblemKind("target-missing", ERROR, "审核", "I6", "没有指标值",
                "三级指标“{name}”没有填写指标值；请填写符号、值和单位（定性指标填“文字描述”和目标文字）"),
    ProblemKind("operator-missing", ERROR, "审核", "I7", "符号为空",
                "符号为空；请填写 ≥、>、=、<、≤ 之一，定性指标填“文字描述”"),
    ProblemKind("numeric-value-missing", ERROR, "审核", "I8", "定量指标没有数值",
                "符号为“{sign}”但没有填写数值；请填写数字"),
    ProblemKind("numeric-unit-missing", ERROR, "审核", "I8", "定量指标没有单位",
                "定量指标没有填写单位；请填写计量单位（如 %、个、次、户）"),
    ProblemKind("unit-is-sentence", ERROR, "审核", "I8", "单位栏写了一句话",
                "单位栏写的是一句话“{unit}”；单位栏只填计量单位（如 %），说明文字请写进绩效指标描述",
                setting="thresholds.unit_max_length"),
    ProblemKind("text-target-missing", ERROR, "审核", "I9", "定性指标没有目标文字",
                "定性指标（文字描述）没有填写目标；请在“单位（文字描述）”栏写明要达到的目标"),
    ProblemKind("satisfaction-target", WARNING, "审核", "I11", "满意度目标偏低或写法不对",
                "满意度指标一般设为“≥{minimum:g}%”：{wrong}；请调整", setting="thresholds.satisfaction_min"),
    ProblemKind("cost-above-funds", WARNING, "审核", "I12", "成本指标超过项目资金",
                "成本指标 {value:g}{unit} 超过项目年度资金总额 {amount:g} 万元；请核实", setting="words.money_units"),
    ProblemKind("vague-words", WARNING, "审核", "I13", "定性目标含模糊用语",
                "目标“{text}”含模糊用语（{words}）；请写成可检验的具体结果", setting="words.vague"),
    ProblemKind("unit-vague-words", WARNING, "审核", "I13", "指标值含模糊用语",
                "指标值“{unit}”含模糊用语；请写成可衡量的数值和单位", setting="words.vague"),
    ProblemKind("number-in-text-target", WARNING, "审核", "I13", "定性目标里写了数值",
                "定性目标“{text}”里写了数值；请把符号改为 ≥ 等，数值和单位分别填入“值”和“单位”栏"),
    ProblemKind("duplicate-indicator", WARNING, "审核", "I14", "三级指标重复",
                "三级指标“{name}”与 {first} 重复；请合并或改名"),
    ProblemKind("qualitative-share-high", WARNING, "审核", "I15", "定性指标占比过高",
                "定性（文字描述）指标占 {share:.0%}，超过 {limit:.0%}；请尽量把目标改写成可量化的数值",
                setting="thresholds.qualitative_share_max"),
    ProblemKind("basis-missing", WARNING, "审核", "I16", "指标值确定依据为空",
                "指标值确定依据为空；请写明指标值的来源（文件、计划或历史数据）"),
    # self-evaluations
    ProblemKind("score-above-weight", ERROR, "自评", "", "得分超过分值",
                "得分 {score:g} 超过该指标的分值 {weight:g}；得分不能高于分值，请改正"),
    ProblemKind("weights-not-100", WARNING, "自评", "", "分值合计不是 100",
                "各指标分值与预算执行率分值合计为 {total:g}，不是 100；请核对各项分值", setting="scoring.weights"),
    ProblemKind("total-mismatch", ERROR, "自评", "", "得分合计与总分不符",
                "各项得分合计 {sum:g}，与填写的总分 {total:g} 不符；请重新合计"),
    ProblemKind("score-inflated", ERROR, "自评", "", "自评得分高于规则所给",
                "自评得分 {stated:g} 高于按评分规则计算的 {computed:g}（{how}）；请按实际完成情况重新打分",
                setting="scoring"),
    ProblemKind("deviation-missing", ERROR, "自评", "", "未达成但没有偏差原因",
                "“{name}”没有达到目标（{how}），但没有填写偏差原因分析及改进措施；请写明原因和改进措施"),
    ProblemKind("actual-missing", ERROR, "自评", "", "没有实际完成值",
                "“{name}”没有填写实际完成值；请填写全年实际完成的数值或情况"),
    ProblemKind("actual-not-judged", INFO, "自评", "", "实际完成值需人工判断",
                "“{name}”的实际完成值“{actual}”无法自动判断是否达成，未据此重算得分；请人工核对"),
    ProblemKind("execution-rate-mismatch", ERROR, "自评", "", "执行率与金额不符",
                "执行率填写为 {stated:g}%，但全年执行数 ÷ 全年预算数 = {computed:.1f}%；请改正", setting="scoring"),
    ProblemKind("grade-mismatch", ERROR, "自评", "", "等级与总分不符",
                "总分 {total:g} 对应的等级是“{expected}”，表中填写的是“{stated}”；请改正", setting="scoring.grades"),
    # self-evaluations held against the approved targets
    ProblemKind("approved-target-missing", WARNING, "自评", "", "找不到批复的绩效目标",
                "没有找到“{name}”本年度批复的绩效目标表（按项目编码，或单位加项目名称查找）；"
                "请把目标表一并放入，或用 --targets 指定目标表所在文件夹"),
    ProblemKind("approved-target-ambiguous", WARNING, "自评", "", "批复目标对应不唯一",
                "“{name}”对应到多张批复的绩效目标表：{places}；未作比对，请在自评表中填写项目编码"),
    ProblemKind("target-lowered", ERROR, "自评", "", "自评表调低了批复目标",
                "“{name}”的目标批复为 {before}，自评表中写成 {after}，降低了目标；请按批复目标（{approved}）填写"),
    ProblemKind("target-operator-changed", ERROR, "自评", "", "自评表改了目标的符号",
                "“{name}”的目标批复为 {before}，自评表中写成 {after}，符号不同；请按批复目标（{approved}）填写"),
    ProblemKind("target-changed", WARNING, "自评", "", "自评表中的目标与批复不同",
                "“{name}”的目标批复为 {before}，自评表中写成 {after}；请核对（批复表：{approved}）"),
    ProblemKind("indicator-dropped", ERROR, "自评", "", "自评表漏了批复的指标",
                "批复的指标“{name}”（{target}）在自评表中没有出现；请补上并如实填写完成情况（批复表：{approved}）"),
    ProblemKind("indicator-added", WARNING, "自评", "", "自评表多了批复没有的指标",
                "指标“{name}”不在批复的绩效目标中；请核对是否擅自增加（批复表：{approved}）"),
    ProblemKind("weight-changed", WARNING, "自评", "", "自评表改了指标权重",
                "“{name}”的权重批复为 {before:g}，自评表中为 {after:g}；请核对（批复表：{approved}）"),
    # consolidating
    ProblemKind("department-unknown", WARNING, "汇总", "", "不知道属于哪个单位",
                "表中没有“单位名称”，文件也不在单位子文件夹里；已归入“未指定单位”。"
                "请在表头填写单位名称，或把文件放进以单位命名的子文件夹"),
    ProblemKind("file-duplicate", WARNING, "汇总", "", "重复提交的文件",
                "与“{original}”内容完全相同（重复提交），只统计一次；如确属两个不同的表，请检查是否放错了文件"),
    ProblemKind("rollup-duplicate", WARNING, "汇总", "", "项目重复报送到上级",
                "项目“{name}”经多个渠道报送到了这里：{routes}；同一项目只应报送一次，请核实后删除多余的一份"),
    # who has submitted (the roster of expected units)
    ProblemKind("roster-unit-missing", WARNING, "汇总", "", "名单中的单位未报送",
                "报送名单中的“{name}”还没有报送任何文件；请催报"),
    ProblemKind("roster-unit-unknown", WARNING, "汇总", "", "单位不在报送名单中",
                "单位“{name}”不在报送名单（{roster}）中；请核对单位名称是否写错，或把它补进报送名单（全称或简称列）"),
    ProblemKind("roster-name-loose", INFO, "汇总", "", "单位名称与名单写法不同",
                "单位“{name}”{how}，已按同一单位统计；如不是同一单位，请改正单位名称"),
    ProblemKind("roster-name-ambiguous", WARNING, "汇总", "", "单位对应到名单中的多个单位",
                "单位“{name}”{how}：{choices}；未作对应，请在表中填写单位全称"),
    ProblemKind("roster-duplicate", WARNING, "汇总", "", "报送名单中单位重复",
                "报送名单中“{name}”出现了不止一次（又见于 {other}）；只按第一次统计，请删除重复的行"),
    ProblemKind("roster-projects-missing", WARNING, "汇总", "", "报送的项目少于应报项目",
                "报送名单中“{name}”应报 {expected} 个项目，收到 {count} 个{missing}；请催报缺少的项目"),
    # compared with last year (--previous)
    ProblemKind("yoy-target-lowered", WARNING, "汇总", "", "目标比上年降低（更容易达到）",
                "“{name}”的目标上年为 {before}，今年为 {after}，比上年更容易达到；降低目标会使年底自评显得更好，"
                "请核实并说明理由（上年：{previous}）"),
    ProblemKind("yoy-indicator-dropped", WARNING, "汇总", "", "上年的指标今年没有了",
                "上年的指标“{name}”（{target}）今年没有了；请核实是否有意取消，必要时补上（上年：{previous}）"),
    # templates
    ProblemKind("template-plan-truncated", WARNING, "模板", "", "支出计划时点过多，未全部带入模板",
                "资金支出计划有 {count} 个时点，模板只能放 {limit} 个；多出的时点没有带入，请在新模板中补填"),
    # annotated copies (check --annotate)
    ProblemKind("annotate-copy-refused", WARNING, "批注", "", "未写出批注副本",
                "没有为这个文件写出批注副本：{reason}；其他文件的副本照常写出", adjustable=False),
    ProblemKind("annotate-copy-rebuilt", INFO, "批注", "", "批注副本按读出的数值重建",
                "这个工作簿无法按原样复制（{reason}），批注副本按 perfxl 读出的数值重建：数值和合并单元格都在，"
                "字体、颜色、列宽、公式和原有批注没有带过来；原文件未被改动", adjustable=False),
    ProblemKind("annotate-sheet-renamed", INFO, "批注", "", "工作表在副本中改了名",
                "工作表名“{name}”不能用在 .xlsx 中（超过 31 个字符，含 [ ] : * ? / \\ 等字符，"
                "或与另一张表只差大小写），副本中改名为“{new}”；请在原表中改用合规的名称", adjustable=False),
    ProblemKind("annotate-value-replaced", WARNING, "批注", "", "数值无效，副本中显示为 #NUM!",
                "单元格中的数值 {value} 不是有效数字（NaN 或无穷大），工作簿无法保存它，副本中显示为 #NUM!；"
                "请在原表中改为正确的数字", adjustable=False),
    ProblemKind("annotate-formula-removed", WARNING, "批注", "", "外部公式已从副本中去掉",
                "公式 {formula} {why}，副本中已去掉该公式，只留下它保存的结果“{value}”；原文件中仍有这个公式，"
                "打开原文件时请不要允许“更新链接”或“启动程序”，并请改为直接填写数值", adjustable=False),
    ProblemKind("annotate-link-removed", WARNING, "批注", "", "本机或共享文件夹链接已从副本中去掉",
                "{what}指向 {target}（本机文件、共享文件夹或其他工作簿），副本中已去掉该链接；"
                "请不要在原文件中点击或更新它，报送的表中也请删除", adjustable=False),
    ProblemKind("annotate-name-removed", WARNING, "批注", "", "外部名称已从副本中去掉",
                "名称“{name}”{why}，副本中已删除该名称；请在原文件中删除它（公式 → 名称管理器）", adjustable=False),
)


def _index(kinds: Iterable[ProblemKind]) -> dict[str, ProblemKind]:
    index: dict[str, ProblemKind] = {}
    for kind in kinds:
        if kind.code in index:
            raise ValueError(f"problem code registered twice: {kind.code}")
        index[kind.code] = kind
    return index


REGISTRY: dict[str, ProblemKind] = _index(KINDS)


def problem(code: str, *, file: str | None = None, sheet: str | None = None, cell: str | None = None,
            **params: Any) -> Problem:
    """The Problem of ``code`` at (file, sheet, cell), its message filled from ``params``.
    KeyError for a code that is not registered."""
    kind = REGISTRY[code]
    message = kind.render(file=file, sheet=sheet, cell=cell, **params)
    return Problem(kind.severity, code, message, file, sheet, cell)


def found_below(code: str, severity: Severity, message: str, *, file: str | None = None, sheet: str | None = None,
                cell: str | None = None) -> Problem:
    """A problem a lower level found, read back from its summary (层层汇总) as it was written there:
    its severity (perhaps that office's override) and its message. KeyError for an unknown code."""
    REGISTRY[code]  # only a registered code is taken
    return Problem(severity, code, message, file, sheet, cell)


def reference_markdown() -> str:
    """The rule reference (``docs/rules.md``): every code, its severity, meaning and fix."""
    lines = [
        "# 问题代码一览",
        "",
        "perfxl 报告的每个问题都有一个固定的代码。本页由 `perfxl/problems.py` 生成"
        "（`make docs`），与程序一致。",
        "",
        "- **级别**：默认级别；“可调”为“是”的代码，可在规则文件的 `[severity]` 中改为 error、warning 或 info，"
        "例如 `\"satisfaction-target\" = \"error\"`。",
        "- **规则**：对应 `docs/domain.md` 中的审核规则编号。",
        "- **设置**：规则文件中影响该检查的键（阈值、词表、类别）。",
        "- **提示**：问题说明的模板，`{…}` 处填入具体的值；分号后是修改方法。",
        "",
    ]
    for stage in ("读取", "识别", "审核", "自评", "汇总", "模板", "批注"):
        lines += [f"## {stage}", "", "| 代码 | 级别 | 规则 | 含义 | 提示 | 可调 | 设置 |",
                  "|---|---|---|---|---|---|---|"]
        for kind in KINDS:
            if kind.stage != stage:
                continue
            text = kind.message.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| `{kind.code}` | {kind.severity.label} | {kind.rule} | {kind.title} | {text} | "
                         f"{'是' if kind.adjustable else '否'} | {kind.setting} |")
        lines.append("")
    return "\n".join(lines)
