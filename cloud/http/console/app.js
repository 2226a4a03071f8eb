"use strict";
(() => {
  const T = {
    "zh-CN": {
      mealsAll: "全部用餐记录：按日期、站点、结果查找，下载 →",
      loginTitle: "登录控制台",
      pageDenied: "您的角色无权查看此页面", pageUnknown: "没有这个页面",
      loginUser: "用户名", loginPassword: "密码", badLogin: "用户名或密码错误",
      loginLocked: "密码错误次数过多，账号已锁定，请在 {time} 后再试，或请管理员解锁", loginTooMany: "登录尝试过于频繁，请一分钟后再试",
      loginDisabled: "此账号已停用，请联系管理员", whoIs: "{name}（{role}）",
      roleViewer: "查看", roleStaff: "工作人员", roleOperator: "运维", roleAdmin: "管理员", roleAuditor: "审计",
      pwChange: "修改密码", pwOld: "当前密码", pwNew: "新密码（至少 10 个字符）", pwNew2: "再次输入新密码", pwSave: "保存新密码", pwCancel: "取消",
      pwForced: "管理员已重置您的密码，请先设置自己的新密码。", pwMismatch: "两次输入的新密码不一致", pwShort: "新密码至少需要 10 个字符",
      pwWrongOld: "当前密码不正确", pwChanged: "密码已修改",
      title: "长者饭堂云平台", language: "语言", logout: "退出", token: "管理令牌", login: "登录",
      badToken: "登录已失效，请重新登录", netError: "无法连接服务器", alerts: "报警", meals: "用餐记录", gateways: "网关",
      opened: "时间", time: "时间", site: "站点", gateway: "网关", button: "按钮", type: "类型", presses: "次数",
      state: "状态", action: "操作", elder: "长者", window: "餐次", decision: "结果", price: "价格",
      subsidy: "补贴", pay: "自付", online: "在线", lastSeen: "最近通讯", version: "版本", ack: "确认",
      yes: "在线", no: "离线", updated: "更新于", none: "暂无",
      st_open: "待处理", st_acknowledged: "已确认", st_false_alarm: "误报", st_resolved: "已解决",
      d_approved: "补贴", d_full_pay: "全价", d_refused: "拒绝",
      w_breakfast: "早餐", w_lunch: "午餐", w_dinner: "晚餐",
      t_emergency: "紧急呼叫", t_supervision: "设备监测",
      config: "配置", cfg_in_sync: "已同步", cfg_pending: "待生效", cfg_failed: "下发失败", cfg_unknown: "—",
      org: "组织架构", name: "名称", unitId: "编号", level: "层级", lv_district: "区", lv_street: "街道", lv_community: "社区", lv_site: "站点",
      gwCreate: "新建网关", gwCreateBtn: "创建并生成注册码", gwToken: "注册令牌", gwExpires: "有效期至", gwLink: "注册链接",
      gwOnce: "令牌只显示这一次，请立即扫码或抄录；过期后需重新创建网关。", gwHow: "或在网关上运行：", gwDone: "完成并清除令牌",
      gwQRAlt: "网关注册二维码", gwExists: "网关 {id} 已存在", gwForbidden: "站点 {site} 不在您的管辖范围内", gwFailed: "创建失败：{msg}",
      tabDashboard: "概览", tabRoster: "长者名单", rLoad: "查看名单", rNoSites: "组织架构中暂无站点，请输入站点编号",
      tabMenu: "菜单", mTitle: "菜单（按菜品计价的饭堂）", mLoad: "查看菜单", mNameZhCN: "名称（简体）", mNameZhHK: "名称（繁体）", mNameEn: "名称（英文）",
      mPrice: "价格（元）", mWindows: "餐次", mAllWindows: "全部餐次", mWindowsNone: "都不选即每个餐次都供应", mOn: "在售", mOff: "售罄", mOffLong: "售罄（暂停供应）",
      mEdit: "编辑", mRemove: "删除", mAdd: "添加菜品", mDishOk: "确定", mSave: "保存并下发到网关", mDirty: "有未保存的修改",
      mNew: "新菜品", mEditing: "编辑菜品：{name}", mNone: "站点 {site} 还没有菜单：添加菜品后保存", mSummary: "站点 {site}：菜单版本 {v}，共 {n} 道菜，{by} 设置于 {at}",
      mSaved: "已保存：菜单版本 {v}，已下发到 {c} 台网关", mSame: "菜单没有变化，仍为版本 {v}，未下发", mRefused: "菜单未通过校验：{msg}",
      mNeedName: "请填写简体中文名称", mBadPrice: "价格“{p}”不是金额：请写成 6 或 1.50 这样的元数，最多两位小数", mPriceRange: "价格须在 ¥0.01 至 ¥1000.00 之间",
      mRemoved: "已删除“{name}”，保存后生效",
      rImport: "导入名单", rFile: "名单文件（CSV 或 XLSX）", rCheck: "检查", rDoImport: "导入", rRow: "行", rColumn: "列", rMessage: "问题",
      rRoster: "当前名单", rElderId: "编号", rName: "姓名", rCategory: "类别", rKind: "凭证", rValue: "号码",
      rNoSite: "请先选择站点", rNoFile: "请先选择文件", rWorking: "处理中…", rFailed: "失败：{msg}",
      rRefused: "未通过：共 {n} 个问题，未导入任何数据", rMore: "（仅列出前 {k} 个）",
      rCheckOK: "检查通过：{rows} 行，{elders} 位长者。尚未导入。",
      rImported: "已导入：名单版本 {v}（原 {p}），共 {e} 位长者，新增或修改 {u}，移除 {r}，已下发 {c} 条网关指令",
      gwRoster: "名单", rs_cloud: "云端 v{v} · {n} 人", rs_local: "本地种子 · {n} 人", rs_none: "未上报",
      rPreviewTitle: "导入预览", rPvLose: "本站将失去 {n} 位长者", rPvNoLoss: "没有长者被移除",
      rPvSummary: "站点 {site}：现有 {before} 位，导入后 {after} 位；新增 {added}，修改 {changed}，移除 {removed}，不变 {unchanged}（名单版本 {v}）",
      rPvLocal: "网关 {gw} 现运行本地种子名单（{n} 位长者），导入后由此名单取代", rPvRemoved: "将移除的长者", rPvAdded: "新增的长者", rPvChanged: "修改的长者",
      rPvMore: "……另有 {k} 位", rPvNone: "无", rConfirm: "确认移除 {n} 位长者并导入", rConfirmLocal: "确认取代本地名单并导入", rCancel: "取消",
      rConfirmAsk: "此导入会移除长者或取代网关的本地名单：请核对上面的预览，再按确认。", rStale: "名单在预览之后已变化：请核对新的预览，再按确认。",
      rChangedDuring: "导入期间名单已变化，没有导入任何内容：请重新预览。", rNoConfirm: "导入已取消，名单未改变。",
      rf_name: "姓名", rf_birth: "出生日期", rf_category: "类别", rf_categories: "其他类别", rf_active: "有效", rf_credentials: "凭证", rf_card: "卡号",
      rf_hukou_local: "本地户籍", rf_home_city: "户籍市", rf_home_district: "户籍区", rf_home_street: "户籍街道",
      rf_residence_city: "居住市", rf_residence_district: "居住区", rf_residence_street: "居住街道", rl_city: "市", rl_district: "区", rl_street: "街道",
      rp_csv_invalid: "文件此处不是有效的 CSV 格式（例如引号未闭合）", rp_header_not_first: "第一行必须是表头",
      rp_header_unknown: "无法识别的列名“{header}”（可用：编号、姓名、卡号、身份证号、社保卡号、出生日期、类别、其他类别、有效、本地户籍、户籍市、户籍区、户籍街道、居住市、居住区、居住街道）",
      rp_header_repeated: "列“{header}”与列“{first}”重复", rp_column_missing: "缺少必需的列：{column}",
      rp_no_credential_column: "没有凭证列：至少需要卡号、身份证号、社保卡号中的一列", rp_cell_too_long: "有单元格超过 {max} 字节",
      rp_id_missing: "缺少长者编号", rp_id_invalid: "长者编号须为 1 至 {max} 个英文字母、数字或符号", rp_id_duplicate: "长者编号 {id} 重复：第 {row} 行已有",
      rp_name_missing: "缺少姓名", rp_name_too_long: "姓名超过 {max} 个字", rp_resident_id_bad: "身份证号 {value} 无效：{problem}",
      rp_no_credential: "没有凭证：请填写卡号、身份证号或社保卡号", rp_birth_bad: "出生日期“{value}”不是日期（请用 YYYY-MM-DD）",
      rp_yes_no_bad: "“{value}”不是“是”或“否”", rp_residence_code_bad: "居住{level}“{value}”不是行政区划代码：请填写 {digits} 位代码，例如 {example}",
      rp_residence_province: "居住区 {district} 不在居住市 {city} 所在的省", rp_residence_district: "居住街道 {street} 不在居住区 {district} 内（街道代码以区代码开头）",
      rp_credential_bad: "{kind}无效：须为 1 至 64 个英文字母、数字或符号", rp_credential_same_row: "{kind} {value} 在本行重复出现",
      rp_credential_two_elders: "{kind} {value} 被两位长者持有：第 {other_row} 行（{other_id}）和第 {row} 行（{id}）",
      rp_no_rows: "表头下面没有长者行", rp_too_many_rows: "长者行超过 {max} 行：请拆分文件",
      rid_length: "位数不是 18 位", rid_not_digit: "第 {at} 位不是数字", rid_last_char: "最后一位不是数字或 X", rid_birth_date: "第 7 至 14 位不是有效的出生日期",
      rid_birth_before_1800: "出生日期早于 1800 年", rid_check_char: "校验位不符（GB 11643）",
      rSummary: "站点 {site}：名单版本 {v}，共 {n} 位长者", rShowing: "（仅显示前 {k} 位）",
      lost: "挂失", lostPrompt: "请输入 {v} 的完整号码以确认挂失", confirm: "确认挂失", cancel: "取消",
      lostMismatch: "号码与 {v} 不符", lostDone: "{id} 的{kind} {v} 已挂失，名单版本 {ver}，已下发 {c} 条网关指令",
      cs_active: "正常", cs_lost: "已挂失", cs_cancelled: "已注销", ck_card: "卡片", ck_resident_id: "身份证", ck_ssc: "社保卡",
      r_gateway_silent: "网关失联", r_button_silent: "按钮无上报", r_battery_low: "按钮电量低", r_button_stuck: "按钮卡住", r_kiosk_disconnected: "一体机屏幕断开", o_recovered: "设备已恢复",
      s_raised: "报警", s_reminder: "提醒", s_escalated: "升级", s_pressed_again: "再次按下", s_supervision: "设备监测",
      alarmSettings: "报警设置", asTitle: "报警设置：{name}", asDefaults: "尚未保存，显示的是本层级的默认值", asRemind: "未确认时每隔（秒）提醒", asEscalate: "未确认多久后上报上一级（秒，0 为不上报）",
      asTz: "时区", asDuty: "值班时间（每行一段，如 mon-fri 08:00-20:00；留空为 24 小时）", asChannels: "通知渠道", asKind: "类型", asChannelId: "编号", asUrl: "地址",
      asSecret: "密钥", asSecretKept: "已保存（不变则保留）", asLang: "语言", asAdd: "添加渠道", asRemove: "删除", asSave: "保存", asTest: "发送测试", asSaved: "已保存",
      asTestOk: "测试消息已送达", asTestFail: "测试失败：{msg}", asDutyLine: "值班时间第 {n} 行应写成 “mon-fri 08:00-20:00”", asClose: "关闭",
      kind_wecom: "企业微信机器人", kind_dingtalk: "钉钉机器人", kind_webhook: "通用 Webhook（HMAC 签名）",
      elapsed: "已过时间", soundOn: "报警声音：开", soundOff: "报警声音：关（点此开启）", live: "实时", liveLost: "实时连接中断，正在重连…",
      escalatedN: "已上报 {n} 级", via_console: "控制台", via_kiosk: "一体机", via_api: "接口", ackedByVia: "{by}（{via}）确认",
      details: "经过", hideDetails: "收起",
      k_opened: "按下报警", k_pressed: "再次按下", k_pressed_again: "确认后再次按下", k_acknowledged: "确认", k_resolved: "已解决",
      k_false_alarm: "误报", k_cleared: "设备恢复", k_notified: "已通知", k_escalated: "升级上报", k_skipped: "非值班跳过", k_delivery: "推送",
      resolve: "解决", outcome: "处理结果", note: "备注（可选）", resolveSubmit: "确认解决", resolveFailed: "提交失败：{msg}",
      pressedAgain: "确认后再次按下（最后一次 {time}）",
      o_helped_on_site: "现场处置", o_sent_to_hospital: "已送医", o_family_contacted: "已联系家属", o_false_alarm: "误报", o_test: "测试",
      tabCare: "关怀探访", careCommunity: "社区", careTitle: "关怀探访名单", careUnit: "范围", careElder: "老人", careHome: "所属站点", careLastSeen: "最后就餐",
      careLastSite: "就餐站点", careAbsent: "未到天数", carePattern: "此前每周餐数", careLastVisit: "上次探访", careAction: "操作",
      careOutcome: "探访结果", careNoteLabel: "备注（最多 500 字）", careMark: "记录探访", careVisitedTitle: "本次缺席已探访",
      careNoteCol: "备注", careBy: "探访人", careAt: "探访时间", careRuleTitle: "关怀规则", careRuleUnit: "单位",
      careMin: "每周至少餐数", careWeeks: "连续周数", careDays: "未到天数", careRuleSave: "保存规则",
      careRules: "列入名单：此前连续数周每周就餐达到规定餐数、且已超过规定天数未再就餐的老人（按老人名单所在站点的社区列出，任何站点就餐都计入）。记录探访后移出名单，直到老人再次就餐后又缺席。",
      v_visited: "已上门见到", v_not_home: "不在家", v_hospital: "住院", v_moved: "已搬离", v_other: "其他",
      careAll: "全部（我的范围）", careVisitBtn: "记录探访", careFormTitle: "探访 {name}（{site}）", careLoading: "正在读取…",
      careSummary: "{n} 位老人待探访，{v} 位本次缺席已探访（{time} 时的名单，时间按 {tz}）。", careDaysN: "{n} 天",
      careSaved: "已记录探访。", careRuleFrom: "{unit} 的规则：每周至少 {min} 餐、连续 {weeks} 周，未到 {days} 天列入名单（{from}）。",
      careRuleOwn: "本单位自定", careRuleInherited: "沿用 {from}", careRuleDefault: "默认规则", careRuleStored: "规则已保存。",
      careNone: "—", careFailed: "操作失败：{msg}",
      rcTitle: "补贴复核：网关决定与云端重算的差异", rcSkipTitle: "未能复核的餐次",
      rcRules: "云端用网关所用的政策版本、云端名册中的长者信息、站点上级的行政区划代码和该餐的价格或重量，按长者在所有站点的用餐（网络畅通时网关应看到的用量）重新计算每一餐。差额＝云端重算－网关决定，金额单位为元；原记录不作修改，差额在结算中作为调整项处理。",
      rcNote: "{month}（按 {tz} 时间划分月份）：{meals} 餐，已复核 {compared} 餐，其中 {diff} 餐有差异，补贴差额 {subsidy} 元；{skipped} 餐未能复核，{voided} 餐已作废，{reader} 次读卡即被拒绝。",
      rcNone: "本月没有差异：所有已复核的餐次与网关决定一致。", rcNoSkip: "没有未能复核的餐次。",
      rcTime: "就餐时间", rcTimeIn: "就餐时间（{tz}）", rcSite: "站点", rcElder: "长者", rcWindow: "餐次", rcGateway: "网关决定", rcCloud: "云端重算", rcWhy: "原因", rcPolicy: "政策版本",
      rcDiff: "差额·{layer}", rcSubsidyDiff: "补贴差额", rcOperatingDiff: "运营补贴差额", rcPayDiff: "自付差额",
      rcLimit: "跨站点用量已达限额 {limit}", rcStale: "网关用量过期",
      rs_no_policy_version: "无政策版本", rs_policy_not_held: "云端无此政策版本", rs_policy_invalid: "政策版本无法解析",
      rs_elder_not_on_roster: "长者不在云端名册", rs_site_not_in_tree: "站点不在组织架构", rs_site_without_codes: "站点上级无行政区划代码",
      d_discounted: "折扣", orgCode: "区划代码",
      rvTitle: "待核查事项（防冒领）", rvUnit: "单位",
      rvNote: "{month}（按 {tz} 时间划分月份）：待核查 {items} 项。",
      rvNone: "本月本单位没有待核查事项。", rvItems: "{n} 项", rvMeals: "{n} 餐",
      rvRules: "同一长者同一天同一餐次在两个以上站点就餐；卡在云端挂失或注销后仍被使用；长者移出站点名单后仍在该站点就餐；同一工作人员 {m} 分钟内手工登记 {n} 餐以上；作废的餐；夜间 {from}:00 至次日 {to}:00 刷卡。拒绝的刷卡不算就餐，作废的餐只列为作废。辖区外站点的餐只显示编号、站点、时间与结果。",
      rvk_two_sites_one_window: "同一餐次多站点就餐", rvk_after_card_lost: "挂失或注销后用卡", rvk_after_removed: "移出名单后就餐",
      rvk_manual_burst: "集中手工登记", rvk_void: "作废", rvk_unusual_hours: "非常规时段用卡",
      rvEvent: "事件编号", rvTime: "时间（{tz}）", rvSite: "站点", rvElder: "长者", rvCard: "卡号", rvWindow: "餐次", rvDecision: "结果",
      rvStaff: "手工登记人", rvPrice: "餐费", rvSubsidy: "补贴", rvPay: "自付", rvVoidedBy: "作废人", rvWithheld: "辖区外，不显示", rvManual: "手工",
      d_discounted: "折扣",
      stTitle: "长者助餐补贴结算", stUnit: "单位", stAllUnits: "全部（本账号范围）",
      stRules: "金额单位为元。就餐人次不含作废；补贴合计等于各资金层级之和；异地就餐指资金份额的行政区划代码不属于长者户籍地（由就餐地支付），或因异地全部份额不予补贴的餐次。",
      stNote: "{month}（按 {tz} 时间划分月份）：就餐 {meals} 人次，补贴 {subsidy} 元，长者自付 {pay} 元，作废 {voids} 人次。",
      stLevel: "层级", stName: "名称", stMeals: "就餐人次", stSubsidised: "补贴人次", stPrice: "餐费合计", stPay: "长者自付", stSubsidy: "补贴合计",
      stOutside: "异地就餐人次", stOutsideFen: "异地补贴", stOperating: "运营补贴", stDiscount: "折扣", stManual: "手工登记", stVoids: "作废人次", stVoidPrice: "作废餐费",
      stOpen: "{month} 未关账。关账时，补贴复核的差异将作为调整项计入结算单。", stOpenNotEnded: "{month} 未关账（月份尚未结束，结束后才能关账）。",
      stClosed: "{month} 已关账：结算单号 {number}，关账人 {by}，关账时间 {at}（{tz}）。", stCovered: "{month} 已随上级单位的结算单 {number} 关账（{by}，{at}，{tz}）；此处数字不含关账后收到的事件。",
      stSha: "SHA-256：{sha}", stCloseBtn: "关账…", stBytes: "下载结算单原文（JSON）", stCloseConfirmBtn: "确认关账", stCancel: "取消",
      stConfirm: "确认关账：{unit} {month}？关账后结算单不再改变；之后收到的该月事件计入下月调整。", stClosedOK: "已关账，结算单号 {number}。", stCloseFailed: "关账失败：{msg}",
      stCloseRules: "关账后结算单不再改变（结算单号、关账人、时间与内容的 SHA-256）；关账后才收到的该月就餐或作废，计入下一个未关账月份的调整，并标明原日期；关账时补贴复核的差异作为调整计入本结算单。",
      stChart: "各站点补贴（按资金层级）与长者自付", stYuan: "元",
      stAdjTitle: "调整（关账后收到的补录事件、关账时的补贴复核差异）", stAdjNone: "本月没有调整。", stAdjKind: "类型", stAdjDay: "原日期", stAdjSite: "站点", stAdjReceived: "收到时间",
      adj_late_meal: "补录就餐", adj_late_void: "补录作废", adj_reconcile: "复核差异", stAdjTotal: "调整合计", stGrandTotal: "应付总计（含调整）",
      stLayer: "补贴·{layer}", ly_city: "市级", ly_district: "区级", ly_street: "街道", ly_charity: "慈善",
      tabReports: "报表", repTitle: "报警响应报表", repMonth: "月份", repShow: "查看", repCSV: "下载 CSV", repXLSX: "下载 Excel（XLSX）",
      repAlarms: "报警数", repOpen: "未关闭", repAckP50: "确认 P50", repAckP90: "确认 P90", repAckMax: "确认最长",
      repResP50: "处置 P50", repResP90: "处置 P90", repResMax: "处置最长", repWithin: "60 秒内确认", repFalse: "误报", repEsc: "升级",
      repSup: "设备监测", repTotal: "合计", repOutside: "（不在组织架构中）",
      repNote: "{month}（按 {tz} 时间划分月份）：报警 {alarms} 起，未关闭 {open} 起，60 秒内确认 {within} 起（{pct}）。",
      repRules: "时间为 分:秒。P50、P90 为最近秩百分位；确认用时 = 首次确认 − 报警时间，处置用时 = 首次关闭 − 报警时间，未关闭的报警不计入处置用时；60 秒内确认率以全部报警为分母。",
      repNoMonth: "请选择月份", repLoading: "加载中…",
      svcTitle: "服务统计", svcUnit: "单位", svcAll: "全部", svcDailyChart: "每日服务人次与服务长者数", svcWindowChart: "各餐次服务人次",
      svcMeals: "服务人次", svcElders: "服务长者数", svcRoster: "在册长者", svcCoverage: "覆盖率", svcNoData: "本期没有用餐记录",
      svcKind: "周期", svcByMonth: "按月", svcByWeek: "按周", svcByDay: "按日", svcPeriod: "期间",
      svcWeekly: "每周服务人次与服务长者数（长者按周去重）", svcWeek: "周", svcDays: "日期",
      svcNote: "{month}（按服务日）：服务 {meals} 人次，服务长者 {elders} 人，在册 {roster} 人，覆盖率 {pct}。",
      svcRules: "服务人次为已供餐人次（不含拒绝和作废）；服务长者数按人去重，同一长者在多个站点用餐只计一次；覆盖率 = 服务长者数 ÷ 花名册在册长者数；按服务日统计。",
      chTitle: "慈善资金去向", chFund: "慈善资金", chPublish: "发布公示", chPubTitle: "公示页面", chSha: "校验码（SHA-256）",
      chPubHelp: "捐赠人扫码即可查看本月公示（不含个人信息）；公示发布后不再更改，再次发布会生成新的页面。",
      chSites: "各站点", chDistrict: "所属区", chMeals: "资助餐次", chElders: "受助长者", chAmount: "资助金额（元）",
      chEldersTitle: "受助长者（已脱敏）", chWhere: "就餐站点", chDays: "每日", chDay: "日期", chPubs: "已发布的公示",
      chRules: "慈善资金即政策中登记为该资金编号的资金层级；资助餐次为本月（按事件时间）由该资金出资且未作废的餐次，受助长者按人去重，金额单位为元；作废餐次另计，不计入上述数字。",
      chNoFund: "尚未登记慈善资金（管理员可通过 API 登记）。", chPublishing: "正在发布…",
      chNote: "{fund}，{month}（按 {tz} 时间划分月份）：资助 {meals} 餐次，受助长者 {elders} 人，金额 {yuan} 元；另有作废 {voids} 餐次未计入。",
      chPublished: "已发布 {fund} {month} 的公示。", chPubLine: "{month} · {unit} · {at} · {by}", chShowQR: "二维码",
      chQRAlt: "公示页面二维码：{url}", chNoPubs: "暂无公示",
    },
    "zh-HK": {
      mealsAll: "全部用膳記錄：按日期、站點、結果查找，下載 →",
      loginTitle: "登入控制台",
      pageDenied: "您的角色無權查看此頁面", pageUnknown: "沒有這個頁面",
      loginUser: "用戶名稱", loginPassword: "密碼", badLogin: "用戶名稱或密碼錯誤",
      loginLocked: "密碼錯誤次數過多，帳戶已鎖定，請於 {time} 後再試，或請管理員解鎖", loginTooMany: "登入嘗試過於頻密，請一分鐘後再試",
      loginDisabled: "此帳戶已停用，請聯絡管理員", whoIs: "{name}（{role}）",
      roleViewer: "檢視", roleStaff: "職員", roleOperator: "運維", roleAdmin: "管理員", roleAuditor: "審計",
      pwChange: "更改密碼", pwOld: "目前密碼", pwNew: "新密碼（最少 10 個字元）", pwNew2: "再次輸入新密碼", pwSave: "儲存新密碼", pwCancel: "取消",
      pwForced: "管理員已重設您的密碼，請先設定您自己的新密碼。", pwMismatch: "兩次輸入的新密碼不一致", pwShort: "新密碼最少需要 10 個字元",
      pwWrongOld: "目前密碼不正確", pwChanged: "密碼已更改",
      title: "長者飯堂雲平台", language: "語言", logout: "登出", token: "管理令牌", login: "登入",
      badToken: "登入已失效，請重新登入", netError: "無法連接伺服器", alerts: "警報", meals: "用膳記錄", gateways: "網關",
      opened: "時間", time: "時間", site: "站點", gateway: "網關", button: "按鈕", type: "類型", presses: "次數",
      state: "狀態", action: "操作", elder: "長者", window: "餐次", decision: "結果", price: "價錢",
      subsidy: "資助", pay: "自付", online: "在線", lastSeen: "最近通訊", version: "版本", ack: "確認",
      yes: "在線", no: "離線", updated: "更新於", none: "暫無",
      st_open: "待處理", st_acknowledged: "已確認", st_false_alarm: "誤報", st_resolved: "已解決",
      d_approved: "資助", d_full_pay: "全費", d_refused: "拒絕",
      w_breakfast: "早餐", w_lunch: "午餐", w_dinner: "晚餐",
      t_emergency: "緊急呼叫", t_supervision: "設備監察",
      config: "設定", cfg_in_sync: "已同步", cfg_pending: "待生效", cfg_failed: "下發失敗", cfg_unknown: "—",
      org: "組織架構", name: "名稱", unitId: "編號", level: "層級", lv_district: "區", lv_street: "街道", lv_community: "社區", lv_site: "站點",
      gwCreate: "新增網關", gwCreateBtn: "建立並產生登記碼", gwToken: "登記令牌", gwExpires: "有效期至", gwLink: "登記連結",
      gwOnce: "令牌只會顯示這一次，請立即掃碼或抄錄；過期後須重新建立網關。", gwHow: "或在網關上執行：", gwDone: "完成並清除令牌",
      gwQRAlt: "網關登記二維碼", gwExists: "網關 {id} 已存在", gwForbidden: "站點 {site} 不在您的管轄範圍內", gwFailed: "建立失敗：{msg}",
      tabDashboard: "概覽", tabRoster: "長者名單", rLoad: "查看名單", rNoSites: "組織架構中暫無站點，請輸入站點編號",
      tabMenu: "餐單", mTitle: "餐單（按菜式計價的飯堂）", mLoad: "查看餐單", mNameZhCN: "名稱（簡體）", mNameZhHK: "名稱（繁體）", mNameEn: "名稱（英文）",
      mPrice: "價錢（元）", mWindows: "餐次", mAllWindows: "全部餐次", mWindowsNone: "全部不選即每個餐次都供應", mOn: "供應中", mOff: "售罄", mOffLong: "售罄（暫停供應）",
      mEdit: "編輯", mRemove: "刪除", mAdd: "新增菜式", mDishOk: "確定", mSave: "儲存並發送到網關", mDirty: "有未儲存的修改",
      mNew: "新菜式", mEditing: "編輯菜式：{name}", mNone: "站點 {site} 尚未有餐單：新增菜式後儲存", mSummary: "站點 {site}：餐單版本 {v}，共 {n} 款菜式，{by} 設定於 {at}",
      mSaved: "已儲存：餐單版本 {v}，已發送到 {c} 部網關", mSame: "餐單沒有變動，仍為版本 {v}，未有發送", mRefused: "餐單未通過檢查：{msg}",
      mNeedName: "請填寫簡體中文名稱", mBadPrice: "價錢「{p}」不是金額：請寫成 6 或 1.50 這樣的元數，最多兩位小數", mPriceRange: "價錢須在 ¥0.01 至 ¥1000.00 之間",
      mRemoved: "已刪除「{name}」，儲存後生效",
      rImport: "匯入名單", rFile: "名單檔案（CSV 或 XLSX）", rCheck: "檢查", rDoImport: "匯入", rRow: "行", rColumn: "欄", rMessage: "問題",
      rRoster: "現行名單", rElderId: "編號", rName: "姓名", rCategory: "類別", rKind: "憑證", rValue: "號碼",
      rNoSite: "請先選擇站點", rNoFile: "請先選擇檔案", rWorking: "處理中…", rFailed: "失敗：{msg}",
      rRefused: "未通過：共 {n} 個問題，未匯入任何資料", rMore: "（只列出首 {k} 個）",
      rCheckOK: "檢查通過：{rows} 行，{elders} 位長者。尚未匯入。",
      rImported: "已匯入：名單版本 {v}（原 {p}），共 {e} 位長者，新增或修改 {u}，移除 {r}，已發出 {c} 條網關指令",
      gwRoster: "名單", rs_cloud: "雲端 v{v} · {n} 人", rs_local: "本地種子 · {n} 人", rs_none: "未回報",
      rPreviewTitle: "匯入預覽", rPvLose: "本站將失去 {n} 位長者", rPvNoLoss: "沒有長者被移除",
      rPvSummary: "站點 {site}：現有 {before} 位，匯入後 {after} 位；新增 {added}，修改 {changed}，移除 {removed}，不變 {unchanged}（名單版本 {v}）",
      rPvLocal: "網關 {gw} 現運行本地種子名單（{n} 位長者），匯入後由此名單取代", rPvRemoved: "將移除的長者", rPvAdded: "新增的長者", rPvChanged: "修改的長者",
      rPvMore: "……另有 {k} 位", rPvNone: "無", rConfirm: "確認移除 {n} 位長者並匯入", rConfirmLocal: "確認取代本地名單並匯入", rCancel: "取消",
      rConfirmAsk: "此匯入會移除長者或取代網關的本地名單：請核對上面的預覽，再按確認。", rStale: "名單在預覽之後已變化：請核對新的預覽，再按確認。",
      rChangedDuring: "匯入期間名單已變化，沒有匯入任何內容：請重新預覽。", rNoConfirm: "匯入已取消，名單未改變。",
      rf_name: "姓名", rf_birth: "出生日期", rf_category: "類別", rf_categories: "其他類別", rf_active: "有效", rf_credentials: "憑證", rf_card: "卡號",
      rf_hukou_local: "本地戶籍", rf_home_city: "戶籍市", rf_home_district: "戶籍區", rf_home_street: "戶籍街道",
      rf_residence_city: "居住市", rf_residence_district: "居住區", rf_residence_street: "居住街道", rl_city: "市", rl_district: "區", rl_street: "街道",
      rp_csv_invalid: "檔案此處不是有效的 CSV 格式（例如引號未閉合）", rp_header_not_first: "第一行必須是表頭",
      rp_header_unknown: "無法識別的欄名「{header}」（可用：編號、姓名、卡號、身份證號、社保卡號、出生日期、類別、其他類別、有效、本地戶籍、戶籍市、戶籍區、戶籍街道、居住市、居住區、居住街道）",
      rp_header_repeated: "欄「{header}」與欄「{first}」重複", rp_column_missing: "缺少必需的欄：{column}",
      rp_no_credential_column: "沒有憑證欄：至少需要卡號、身份證號、社保卡號中的一欄", rp_cell_too_long: "有儲存格超過 {max} 位元組",
      rp_id_missing: "缺少長者編號", rp_id_invalid: "長者編號須為 1 至 {max} 個英文字母、數字或符號", rp_id_duplicate: "長者編號 {id} 重複：第 {row} 行已有",
      rp_name_missing: "缺少姓名", rp_name_too_long: "姓名超過 {max} 個字", rp_resident_id_bad: "身份證號 {value} 無效：{problem}",
      rp_no_credential: "沒有憑證：請填寫卡號、身份證號或社保卡號", rp_birth_bad: "出生日期「{value}」不是日期（請用 YYYY-MM-DD）",
      rp_yes_no_bad: "「{value}」不是「是」或「否」", rp_residence_code_bad: "居住{level}「{value}」不是行政區劃代碼：請填寫 {digits} 位代碼，例如 {example}",
      rp_residence_province: "居住區 {district} 不在居住市 {city} 所在的省", rp_residence_district: "居住街道 {street} 不在居住區 {district} 內（街道代碼以區代碼開頭）",
      rp_credential_bad: "{kind}無效：須為 1 至 64 個英文字母、數字或符號", rp_credential_same_row: "{kind} {value} 在本行重複出現",
      rp_credential_two_elders: "{kind} {value} 由兩位長者持有：第 {other_row} 行（{other_id}）和第 {row} 行（{id}）",
      rp_no_rows: "表頭下面沒有長者行", rp_too_many_rows: "長者行超過 {max} 行：請拆分檔案",
      rid_length: "位數不是 18 位", rid_not_digit: "第 {at} 位不是數字", rid_last_char: "最後一位不是數字或 X", rid_birth_date: "第 7 至 14 位不是有效的出生日期",
      rid_birth_before_1800: "出生日期早於 1800 年", rid_check_char: "校驗位不符（GB 11643）",
      rSummary: "站點 {site}：名單版本 {v}，共 {n} 位長者", rShowing: "（只顯示首 {k} 位）",
      lost: "報失", lostPrompt: "請輸入 {v} 的完整號碼以確認報失", confirm: "確認報失", cancel: "取消",
      lostMismatch: "號碼與 {v} 不符", lostDone: "{id} 的{kind} {v} 已報失，名單版本 {ver}，已發出 {c} 條網關指令",
      cs_active: "正常", cs_lost: "已報失", cs_cancelled: "已註銷", ck_card: "咭", ck_resident_id: "身份證", ck_ssc: "社保卡",
      r_gateway_silent: "網關失聯", r_button_silent: "按鈕無回報", r_battery_low: "按鈕電量低", r_button_stuck: "按鈕卡住", r_kiosk_disconnected: "自助機螢幕斷開", o_recovered: "設備已恢復",
      s_raised: "警報", s_reminder: "提醒", s_escalated: "升級", s_pressed_again: "再次按下", s_supervision: "設備監察",
      alarmSettings: "警報設定", asTitle: "警報設定：{name}", asDefaults: "尚未儲存，顯示的是本層級的預設值", asRemind: "未確認時每隔（秒）提醒", asEscalate: "未確認多久後上報上一級（秒，0 為不上報）",
      asTz: "時區", asDuty: "當值時間（每行一段，如 mon-fri 08:00-20:00；留空為 24 小時）", asChannels: "通知渠道", asKind: "類型", asChannelId: "編號", asUrl: "地址",
      asSecret: "密鑰", asSecretKept: "已儲存（不變則保留）", asLang: "語言", asAdd: "新增渠道", asRemove: "刪除", asSave: "儲存", asTest: "發送測試", asSaved: "已儲存",
      asTestOk: "測試訊息已送達", asTestFail: "測試失敗：{msg}", asDutyLine: "當值時間第 {n} 行應寫成「mon-fri 08:00-20:00」", asClose: "關閉",
      kind_wecom: "企業微信機械人", kind_dingtalk: "釘釘機械人", kind_webhook: "通用 Webhook（HMAC 簽名）",
      elapsed: "已過時間", soundOn: "警報聲音：開", soundOff: "警報聲音：關（按此開啟）", live: "即時", liveLost: "即時連線中斷，正在重連…",
      escalatedN: "已上報 {n} 級", via_console: "控制台", via_kiosk: "自助機", via_api: "介面", ackedByVia: "{by}（{via}）確認",
      details: "經過", hideDetails: "收起",
      k_opened: "按下警報", k_pressed: "再次按下", k_pressed_again: "確認後再次按下", k_acknowledged: "確認", k_resolved: "已解決",
      k_false_alarm: "誤報", k_cleared: "設備恢復", k_notified: "已通知", k_escalated: "升級上報", k_skipped: "非當值跳過", k_delivery: "推送",
      resolve: "解決", outcome: "處理結果", note: "備註（可選）", resolveSubmit: "確認解決", resolveFailed: "提交失敗：{msg}",
      pressedAgain: "確認後再次按下（最後一次 {time}）",
      o_helped_on_site: "現場處理", o_sent_to_hospital: "已送院", o_family_contacted: "已聯絡家屬", o_false_alarm: "誤報", o_test: "測試",
      tabCare: "關懷探訪", careCommunity: "社區", careTitle: "關懷探訪名單", careUnit: "範圍", careElder: "長者", careHome: "所屬站點", careLastSeen: "最後用餐",
      careLastSite: "用餐站點", careAbsent: "未到天數", carePattern: "此前每週餐數", careLastVisit: "上次探訪", careAction: "操作",
      careOutcome: "探訪結果", careNoteLabel: "備註（最多 500 字）", careMark: "記錄探訪", careVisitedTitle: "本次缺席已探訪",
      careNoteCol: "備註", careBy: "探訪人", careAt: "探訪時間", careRuleTitle: "關懷規則", careRuleUnit: "單位",
      careMin: "每週至少餐數", careWeeks: "連續週數", careDays: "未到天數", careRuleSave: "儲存規則",
      careRules: "列入名單：此前連續數週每週用餐達到規定餐數、且已超過規定天數未再用餐的長者（按長者名單所在站點的社區列出，任何站點用餐都計入）。記錄探訪後移出名單，直到長者再次用餐後又缺席。",
      v_visited: "已上門見到", v_not_home: "不在家", v_hospital: "住院", v_moved: "已搬離", v_other: "其他",
      careAll: "全部（我的範圍）", careVisitBtn: "記錄探訪", careFormTitle: "探訪 {name}（{site}）", careLoading: "正在讀取…",
      careSummary: "{n} 位長者待探訪，{v} 位本次缺席已探訪（{time} 時的名單，時間按 {tz}）。", careDaysN: "{n} 天",
      careSaved: "已記錄探訪。", careRuleFrom: "{unit} 的規則：每週至少 {min} 餐、連續 {weeks} 週，未到 {days} 天列入名單（{from}）。",
      careRuleOwn: "本單位自訂", careRuleInherited: "沿用 {from}", careRuleDefault: "預設規則", careRuleStored: "規則已儲存。",
      careNone: "—", careFailed: "操作失敗：{msg}",
      rcTitle: "補貼覆核：網關決定與雲端重算的差異", rcSkipTitle: "未能覆核的餐次",
      rcRules: "雲端用網關所用的政策版本、雲端名冊中的長者資料、站點上級的行政區劃代碼和該餐的價格或重量，按長者在所有站點的用餐（網絡暢通時網關應看到的用量）重新計算每一餐。差額＝雲端重算－網關決定，金額單位為元；原記錄不作修改，差額在結算中作為調整項處理。",
      rcNote: "{month}（按 {tz} 時間劃分月份）：{meals} 餐，已覆核 {compared} 餐，其中 {diff} 餐有差異，補貼差額 {subsidy} 元；{skipped} 餐未能覆核，{voided} 餐已作廢，{reader} 次讀卡即被拒絕。",
      rcNone: "本月沒有差異：所有已覆核的餐次與網關決定一致。", rcNoSkip: "沒有未能覆核的餐次。",
      rcTime: "用餐時間", rcTimeIn: "用餐時間（{tz}）", rcSite: "站點", rcElder: "長者", rcWindow: "餐次", rcGateway: "網關決定", rcCloud: "雲端重算", rcWhy: "原因", rcPolicy: "政策版本",
      rcDiff: "差額·{layer}", rcSubsidyDiff: "補貼差額", rcOperatingDiff: "營運補貼差額", rcPayDiff: "自付差額",
      rcLimit: "跨站點用量已達限額 {limit}", rcStale: "網關用量過期",
      rs_no_policy_version: "無政策版本", rs_policy_not_held: "雲端無此政策版本", rs_policy_invalid: "政策版本無法解析",
      rs_elder_not_on_roster: "長者不在雲端名冊", rs_site_not_in_tree: "站點不在組織架構", rs_site_without_codes: "站點上級無行政區劃代碼",
      d_discounted: "折扣", orgCode: "區劃代碼",
      rvTitle: "待核查事項（防冒領）", rvUnit: "單位",
      rvNote: "{month}（按 {tz} 時間劃分月份）：待核查 {items} 項。",
      rvNone: "本月本單位沒有待核查事項。", rvItems: "{n} 項", rvMeals: "{n} 餐",
      rvRules: "同一長者同一天同一餐次在兩個以上站點用餐；卡在雲端掛失或註銷後仍被使用；長者移出站點名單後仍在該站點用餐；同一工作人員 {m} 分鐘內手工登記 {n} 餐以上；作廢的餐；夜間 {from}:00 至翌日 {to}:00 拍卡。拒絕的拍卡不算用餐，作廢的餐只列為作廢。轄區外站點的餐只顯示編號、站點、時間與結果。",
      rvk_two_sites_one_window: "同一餐次多站點用餐", rvk_after_card_lost: "掛失或註銷後用卡", rvk_after_removed: "移出名單後用餐",
      rvk_manual_burst: "集中手工登記", rvk_void: "作廢", rvk_unusual_hours: "非常規時段用卡",
      rvEvent: "事件編號", rvTime: "時間（{tz}）", rvSite: "站點", rvElder: "長者", rvCard: "卡號", rvWindow: "餐次", rvDecision: "結果",
      rvStaff: "手工登記人", rvPrice: "餐費", rvSubsidy: "補貼", rvPay: "自付", rvVoidedBy: "作廢人", rvWithheld: "轄區外，不顯示", rvManual: "手工",
      d_discounted: "折扣",
      stTitle: "長者助餐補貼結算", stUnit: "單位", stAllUnits: "全部（本帳號範圍）",
      stRules: "金額單位為元。用餐人次不含作廢；補貼合計等於各資金層級之和；異地用餐指資金份額的行政區劃代碼不屬於長者戶籍地（由用餐地支付），或因異地全部份額不予補貼的餐次。",
      stNote: "{month}（按 {tz} 時間劃分月份）：用餐 {meals} 人次，補貼 {subsidy} 元，長者自付 {pay} 元，作廢 {voids} 人次。",
      stLevel: "層級", stName: "名稱", stMeals: "用餐人次", stSubsidised: "補貼人次", stPrice: "餐費合計", stPay: "長者自付", stSubsidy: "補貼合計",
      stOutside: "異地用餐人次", stOutsideFen: "異地補貼", stOperating: "營運補貼", stDiscount: "折扣", stManual: "手工登記", stVoids: "作廢人次", stVoidPrice: "作廢餐費",
      stOpen: "{month} 未關賬。關賬時，補貼覆核的差異將作為調整項計入結算單。", stOpenNotEnded: "{month} 未關賬（月份尚未結束，結束後才能關賬）。",
      stClosed: "{month} 已關賬：結算單號 {number}，關賬人 {by}，關賬時間 {at}（{tz}）。", stCovered: "{month} 已隨上級單位的結算單 {number} 關賬（{by}，{at}，{tz}）；此處數字不含關賬後收到的事件。",
      stSha: "SHA-256：{sha}", stCloseBtn: "關賬…", stBytes: "下載結算單原文（JSON）", stCloseConfirmBtn: "確認關賬", stCancel: "取消",
      stConfirm: "確認關賬：{unit} {month}？關賬後結算單不再改變；之後收到的該月事件計入下月調整。", stClosedOK: "已關賬，結算單號 {number}。", stCloseFailed: "關賬失敗：{msg}",
      stCloseRules: "關賬後結算單不再改變（結算單號、關賬人、時間與內容的 SHA-256）；關賬後才收到的該月用餐或作廢，計入下一個未關賬月份的調整，並標明原日期；關賬時補貼覆核的差異作為調整計入本結算單。",
      stChart: "各站點補貼（按資金層級）與長者自付", stYuan: "元",
      stAdjTitle: "調整（關賬後收到的補錄事件、關賬時的補貼覆核差異）", stAdjNone: "本月沒有調整。", stAdjKind: "類型", stAdjDay: "原日期", stAdjSite: "站點", stAdjReceived: "收到時間",
      adj_late_meal: "補錄用餐", adj_late_void: "補錄作廢", adj_reconcile: "覆核差異", stAdjTotal: "調整合計", stGrandTotal: "應付總計（含調整）",
      stLayer: "補貼·{layer}", ly_city: "市級", ly_district: "區級", ly_street: "街道", ly_charity: "慈善",
      tabReports: "報表", repTitle: "警報響應報表", repMonth: "月份", repShow: "查看", repCSV: "下載 CSV", repXLSX: "下載 Excel（XLSX）",
      repAlarms: "警報數", repOpen: "未關閉", repAckP50: "確認 P50", repAckP90: "確認 P90", repAckMax: "確認最長",
      repResP50: "處理 P50", repResP90: "處理 P90", repResMax: "處理最長", repWithin: "60 秒內確認", repFalse: "誤報", repEsc: "升級",
      repSup: "設備監測", repTotal: "合計", repOutside: "（不在組織架構中）",
      repNote: "{month}（按 {tz} 時間劃分月份）：警報 {alarms} 宗，未關閉 {open} 宗，60 秒內確認 {within} 宗（{pct}）。",
      repRules: "時間為 分:秒。P50、P90 為最近秩百分位；確認用時 = 首次確認 − 警報時間，處理用時 = 首次關閉 − 警報時間，未關閉的警報不計入處理用時；60 秒內確認率以全部警報為分母。",
      repNoMonth: "請選擇月份", repLoading: "載入中…",
      svcTitle: "服務統計", svcUnit: "單位", svcAll: "全部", svcDailyChart: "每日服務人次與服務長者數", svcWindowChart: "各餐次服務人次",
      svcMeals: "服務人次", svcElders: "服務長者數", svcRoster: "在冊長者", svcCoverage: "覆蓋率", svcNoData: "本期沒有用餐記錄",
      svcKind: "週期", svcByMonth: "按月", svcByWeek: "按週", svcByDay: "按日", svcPeriod: "期間",
      svcWeekly: "每週服務人次與服務長者數（長者按週去重）", svcWeek: "週", svcDays: "日期",
      svcNote: "{month}（按服務日）：服務 {meals} 人次，服務長者 {elders} 人，在冊 {roster} 人，覆蓋率 {pct}。",
      svcRules: "服務人次為已供餐人次（不含拒絕和作廢）；服務長者數按人去重，同一長者在多個站點用餐只計一次；覆蓋率 = 服務長者數 ÷ 名冊在冊長者數；按服務日統計。",
      chTitle: "慈善資金去向", chFund: "慈善資金", chPublish: "發佈公示", chPubTitle: "公示頁面", chSha: "校驗碼（SHA-256）",
      chPubHelp: "捐款人掃碼即可查看本月公示（不含個人資料）；公示發佈後不再更改，再次發佈會產生新的頁面。",
      chSites: "各站點", chDistrict: "所屬區", chMeals: "資助餐次", chElders: "受助長者", chAmount: "資助金額（元）",
      chEldersTitle: "受助長者（已遮蔽）", chWhere: "用餐站點", chDays: "每日", chDay: "日期", chPubs: "已發佈的公示",
      chRules: "慈善資金即政策中登記為該資金編號的資金層級；資助餐次為本月（按事件時間）由該資金出資且未作廢的餐次，受助長者按人去重，金額單位為元；作廢餐次另計，不計入上述數字。",
      chNoFund: "尚未登記慈善資金（管理員可透過 API 登記）。", chPublishing: "正在發佈…",
      chNote: "{fund}，{month}（按 {tz} 時間劃分月份）：資助 {meals} 餐次，受助長者 {elders} 人，金額 {yuan} 元；另有作廢 {voids} 餐次未計入。",
      chPublished: "已發佈 {fund} {month} 的公示。", chPubLine: "{month} · {unit} · {at} · {by}", chShowQR: "二維碼",
      chQRAlt: "公示頁面二維碼：{url}", chNoPubs: "暫無公示",
    },
    en: {
      mealsAll: "All meals: search by date, site and decision, download →",
      loginTitle: "Sign in to the console",
      pageDenied: "Your role may not see this page", pageUnknown: "There is no such page",
      loginUser: "User name", loginPassword: "Password", badLogin: "Wrong user name or password",
      loginLocked: "Locked after too many wrong passwords: try again at {time}, or ask an administrator to unlock it", loginTooMany: "Too many sign-in attempts: wait a minute",
      loginDisabled: "This account is disabled: ask an administrator", whoIs: "{name} ({role})",
      roleViewer: "Viewer", roleStaff: "Staff", roleOperator: "Operator", roleAdmin: "Administrator", roleAuditor: "Auditor",
      pwChange: "Change password", pwOld: "Current password", pwNew: "New password (at least 10 characters)", pwNew2: "New password again", pwSave: "Save the new password", pwCancel: "Cancel",
      pwForced: "An administrator reset your password: choose your own first.", pwMismatch: "The two new passwords differ", pwShort: "The new password needs at least 10 characters",
      pwWrongOld: "The current password is wrong", pwChanged: "Password changed",
      title: "Eldergate cloud", language: "Language", logout: "Sign out", token: "Admin token", login: "Sign in",
      badToken: "Your session has ended: sign in again", netError: "Cannot reach the server", alerts: "Alerts", meals: "Meals", gateways: "Gateways",
      opened: "Time", time: "Time", site: "Site", gateway: "Gateway", button: "Button", type: "Type", presses: "Presses",
      state: "State", action: "Action", elder: "Elder", window: "Meal", decision: "Decision", price: "Price",
      subsidy: "Subsidy", pay: "Paid", online: "Online", lastSeen: "Last seen", version: "Version", ack: "Acknowledge",
      yes: "online", no: "offline", updated: "Updated", none: "None",
      st_open: "open", st_acknowledged: "acknowledged", st_false_alarm: "false alarm", st_resolved: "resolved",
      d_approved: "subsidised", d_full_pay: "full price", d_refused: "refused",
      w_breakfast: "breakfast", w_lunch: "lunch", w_dinner: "dinner",
      t_emergency: "emergency", t_supervision: "supervision",
      config: "Config", cfg_in_sync: "in sync", cfg_pending: "pending", cfg_failed: "failed", cfg_unknown: "—",
      org: "Organisation", name: "Name", unitId: "ID", level: "Level", lv_district: "district", lv_street: "street", lv_community: "community", lv_site: "site",
      gwCreate: "New gateway", gwCreateBtn: "Create and get enrollment code", gwToken: "Enrollment token", gwExpires: "Expires", gwLink: "Enrollment link",
      gwOnce: "The token is shown only this once: scan or copy it now. After it expires, create the gateway again.", gwHow: "Or run on the gateway:", gwDone: "Done, clear the token",
      gwQRAlt: "Gateway enrollment QR code", gwExists: "Gateway {id} already exists", gwForbidden: "Site {site} is outside your scope", gwFailed: "Creation failed: {msg}",
      tabDashboard: "Overview", tabRoster: "Roster", rLoad: "Show roster", rNoSites: "No site in the organisation tree: type the site ID",
      tabMenu: "Menu", mTitle: "Menu (halls priced by the dish)", mLoad: "Show menu", mNameZhCN: "Name (Simplified Chinese)", mNameZhHK: "Name (Traditional Chinese)", mNameEn: "Name (English)",
      mPrice: "Price (yuan)", mWindows: "Meals", mAllWindows: "Every meal", mWindowsNone: "None ticked: served at every meal", mOn: "On sale", mOff: "Sold out", mOffLong: "Sold out (not served for now)",
      mEdit: "Edit", mRemove: "Remove", mAdd: "Add a dish", mDishOk: "OK", mSave: "Save and send to the gateways", mDirty: "Unsaved changes",
      mNew: "New dish", mEditing: "Edit dish: {name}", mNone: "Site {site} has no menu yet: add dishes, then save", mSummary: "Site {site}: menu version {v}, {n} dishes, set by {by} at {at}",
      mSaved: "Saved: menu version {v}, sent to {c} gateway(s)", mSame: "The menu did not change: still version {v}, nothing sent", mRefused: "Menu refused: {msg}",
      mNeedName: "Type the name in Simplified Chinese", mBadPrice: "The price \"{p}\" is not an amount of money: write yuan like 6 or 1.50, at most two decimals", mPriceRange: "The price must be from ¥0.01 to ¥1000.00",
      mRemoved: "Removed \"{name}\"; save to apply",
      rImport: "Import a roster", rFile: "Roster file (CSV or XLSX)", rCheck: "Check", rDoImport: "Import", rRow: "Row", rColumn: "Column", rMessage: "Problem",
      rRoster: "Current roster", rElderId: "ID", rName: "Name", rCategory: "Category", rKind: "Credential", rValue: "Number",
      rNoSite: "Choose a site first", rNoFile: "Choose a file first", rWorking: "Working…", rFailed: "Failed: {msg}",
      rRefused: "Refused: {n} problems, nothing was imported", rMore: " (first {k} listed)",
      rCheckOK: "Check passed: {rows} rows, {elders} elders. Nothing imported yet.",
      rImported: "Imported: roster version {v} (was {p}), {e} elders, {u} added or changed, {r} removed, {c} gateway commands queued",
      gwRoster: "Roster", rs_cloud: "cloud v{v} · {n} elders", rs_local: "local seed · {n} elders", rs_none: "not reported",
      rPreviewTitle: "Import preview", rPvLose: "This hall will lose {n} elders", rPvNoLoss: "No elder is removed",
      rPvSummary: "Site {site}: {before} elders now, {after} after the import; {added} added, {changed} changed, {removed} removed, {unchanged} unchanged (roster version {v})",
      rPvLocal: "Gateway {gw} runs its local seed roster ({n} elders); this roster replaces it", rPvRemoved: "Elders removed", rPvAdded: "Elders added", rPvChanged: "Elders changed",
      rPvMore: "… and {k} more", rPvNone: "None", rConfirm: "Remove {n} elders and import", rConfirmLocal: "Replace the local roster and import", rCancel: "Cancel",
      rConfirmAsk: "This import removes elders or replaces a gateway's local roster: check the preview above, then confirm.", rStale: "The roster changed since the preview: check the new preview, then confirm.",
      rChangedDuring: "The roster changed during the import; nothing was imported: preview it again.", rNoConfirm: "Import cancelled; the roster is unchanged.",
      rf_name: "name", rf_birth: "birth date", rf_category: "category", rf_categories: "other categories", rf_active: "active", rf_credentials: "credentials", rf_card: "card",
      rf_hukou_local: "local hukou", rf_home_city: "hukou city", rf_home_district: "hukou district", rf_home_street: "hukou street",
      rf_residence_city: "residence city", rf_residence_district: "residence district", rf_residence_street: "residence street", rl_city: "city", rl_district: "district", rl_street: "street",
      rp_csv_invalid: "The file is not valid CSV here (an unclosed quote, say)", rp_header_not_first: "The first line must be the header row",
      rp_header_unknown: "Unknown column header \"{header}\" (accepted: 编号/id, 姓名/name, 卡号/card, 身份证号/resident_id, 社保卡号/ssc, 出生日期/birth, 类别/category, 其他类别/categories, 有效/active, 本地户籍/hukou_local, 户籍市/home_city, 户籍区/home_district, 户籍街道/home_street, 居住市/residence_city, 居住区/residence_district, 居住街道/residence_street)",
      rp_header_repeated: "Column \"{header}\" repeats column \"{first}\"", rp_column_missing: "The required column {column} is missing",
      rp_no_credential_column: "No credential column: at least one of 卡号 (card), 身份证号 (resident_id), 社保卡号 (ssc) is needed", rp_cell_too_long: "A cell is longer than {max} bytes",
      rp_id_missing: "Missing elder ID", rp_id_invalid: "The elder ID must be 1 to {max} printable ASCII characters", rp_id_duplicate: "Duplicate elder ID {id}: already on row {row}",
      rp_name_missing: "Missing name", rp_name_too_long: "Name longer than {max} characters", rp_resident_id_bad: "Resident ID number {value} is not valid: {problem}",
      rp_no_credential: "No credential: fill in 卡号 (card), 身份证号 (resident_id) or 社保卡号 (ssc)", rp_birth_bad: "Birth date \"{value}\" is not a date (use YYYY-MM-DD)",
      rp_yes_no_bad: "\"{value}\" is not yes or no (是/否)", rp_residence_code_bad: "Residence {level} \"{value}\" is not a division code: write its {digits}-digit code, e.g. {example}",
      rp_residence_province: "Residence district {district} is not in the province of residence city {city}", rp_residence_district: "Residence street {street} is not in residence district {district} (its code starts with the district's)",
      rp_credential_bad: "{kind} not valid: 1 to 64 printable ASCII characters", rp_credential_same_row: "{kind} {value} appears twice on this row",
      rp_credential_two_elders: "{kind} {value} is held by two elders: row {other_row} ({other_id}) and row {row} ({id})",
      rp_no_rows: "The file has no elder rows below the header", rp_too_many_rows: "More than {max} elder rows: split the file",
      rid_length: "it does not have 18 characters", rid_not_digit: "character {at} is not a digit", rid_last_char: "the last character is not a digit or X", rid_birth_date: "characters 7 to 14 are not a birth date",
      rid_birth_before_1800: "the birth date is before 1800", rid_check_char: "the check character does not match (GB 11643)",
      rSummary: "Site {site}: roster version {v}, {n} elders", rShowing: " (first {k} shown)",
      lost: "Mark lost", lostPrompt: "Type the full number of {v} to confirm", confirm: "Confirm lost", cancel: "Cancel",
      lostMismatch: "The number does not match {v}", lostDone: "{kind} {v} of {id} is now lost; roster version {ver}; {c} gateway commands queued",
      cs_active: "active", cs_lost: "lost", cs_cancelled: "cancelled", ck_card: "card", ck_resident_id: "resident ID", ck_ssc: "social-security card",
      r_gateway_silent: "gateway silent", r_button_silent: "button not reporting", r_battery_low: "button battery low", r_button_stuck: "button stuck", r_kiosk_disconnected: "kiosk screen disconnected", o_recovered: "device back",
      s_raised: "alarm", s_reminder: "reminder", s_escalated: "escalation", s_pressed_again: "pressed again", s_supervision: "supervision",
      alarmSettings: "Alarm settings", asTitle: "Alarm settings: {name}", asDefaults: "Not saved yet: these are the level's defaults", asRemind: "Remind every (s) while unacknowledged", asEscalate: "Escalate to the next level after (s, 0 = never)",
      asTz: "Time zone", asDuty: "On duty (one span per line, e.g. mon-fri 08:00-20:00; empty = 24 hours)", asChannels: "Notification channels", asKind: "Kind", asChannelId: "ID", asUrl: "URL",
      asSecret: "Secret", asSecretKept: "stored (kept unless changed)", asLang: "Language", asAdd: "Add channel", asRemove: "Remove", asSave: "Save", asTest: "Send test", asSaved: "Saved",
      asTestOk: "Test message delivered", asTestFail: "Test failed: {msg}", asDutyLine: "On-duty line {n} must read like \"mon-fri 08:00-20:00\"", asClose: "Close",
      kind_wecom: "WeCom group robot", kind_dingtalk: "DingTalk robot", kind_webhook: "Generic webhook (HMAC signed)",
      elapsed: "Elapsed", soundOn: "Alarm sound: on", soundOff: "Alarm sound: off (click to turn on)", live: "live", liveLost: "Live connection lost, reconnecting…",
      escalatedN: "escalated {n} level(s)", via_console: "console", via_kiosk: "kiosk", via_api: "API", ackedByVia: "acknowledged by {by} ({via})",
      details: "Timeline", hideDetails: "Hide",
      k_opened: "pressed", k_pressed: "pressed again", k_pressed_again: "pressed again after acknowledgement", k_acknowledged: "acknowledged", k_resolved: "resolved",
      k_false_alarm: "false alarm", k_cleared: "device back", k_notified: "notified", k_escalated: "escalated", k_skipped: "skipped (off duty)", k_delivery: "delivery",
      resolve: "Resolve", outcome: "Outcome", note: "Note (optional)", resolveSubmit: "Resolve", resolveFailed: "Failed: {msg}",
      pressedAgain: "Pressed again after acknowledgement (last {time})",
      o_helped_on_site: "Helped on site", o_sent_to_hospital: "Sent to hospital", o_family_contacted: "Family contacted", o_false_alarm: "False alarm", o_test: "Test",
      tabCare: "Care visits", careCommunity: "Community", careTitle: "Care visit list", careUnit: "Area", careElder: "Elder", careHome: "Home site", careLastSeen: "Last meal",
      careLastSite: "Meal site", careAbsent: "Days away", carePattern: "Meals per week before", careLastVisit: "Last visit", careAction: "Action",
      careOutcome: "Outcome", careNoteLabel: "Note (at most 500 characters)", careMark: "Mark visit", careVisitedTitle: "Visited during this absence",
      careNoteCol: "Note", careBy: "Visited by", careAt: "Visited at", careRuleTitle: "Care rule", careRuleUnit: "Unit",
      careMin: "At least meals a week", careWeeks: "Weeks in a row", careDays: "Days away", careRuleSave: "Save rule",
      careRules: "Listed: elders who ate at least the rule's meals in each of the weeks before their last meal and have not eaten for the rule's days (listed under the community of the site whose roster holds them; meals at any site count). A marked visit takes them off until they eat again and then stay away again.",
      v_visited: "visited at home", v_not_home: "not at home", v_hospital: "in hospital", v_moved: "moved away", v_other: "other",
      careAll: "All (my scope)", careVisitBtn: "Mark visit", careFormTitle: "Visit {name} ({site})", careLoading: "Loading…",
      careSummary: "To visit: {n}; visited during this absence: {v} (list as of {time}, times in {tz}).", careDaysN: "{n} days",
      careSaved: "Visit recorded.", careRuleFrom: "Rule of {unit}: at least {min} meals a week for {weeks} weeks, listed after {days} days away ({from}).",
      careRuleOwn: "its own", careRuleInherited: "from {from}", careRuleDefault: "the default", careRuleStored: "Rule saved.",
      careNone: "—", careFailed: "Failed: {msg}",
      rcTitle: "Subsidy reconciliation: gateway decisions against the cloud's re-decisions", rcSkipTitle: "Meals that could not be re-decided",
      rcRules: "The cloud re-decides every meal with the policy version the gateway used, the elder as on the cloud roster, the division codes above the site and the meal's own price or weight, with the elder's meals at every site as usage (what a gateway with a perfect network would have seen). Difference = cloud re-decision − gateway decision, in yuan; nothing stored is changed, the differences are settled as adjustments.",
      rcNote: "{month} (month boundaries in {tz} time): {meals} meals, {compared} re-decided, {diff} with a difference, subsidy difference ¥{subsidy}; {skipped} could not be re-decided, {voided} voided, {reader} refused at the reader.",
      rcNone: "No differences this month: every re-decided meal matches its gateway's decision.", rcNoSkip: "Every meal could be re-decided.",
      rcTime: "Time", rcTimeIn: "Time ({tz})", rcSite: "Site", rcElder: "Elder", rcWindow: "Window", rcGateway: "Gateway decision", rcCloud: "Cloud re-decision", rcWhy: "Reason", rcPolicy: "Policy version",
      rcDiff: "Difference: {layer}", rcSubsidyDiff: "Subsidy difference", rcOperatingDiff: "Operating subsidy difference", rcPayDiff: "Paid by elder difference",
      rcLimit: "limit reached across sites: {limit}", rcStale: "gateway usage stale",
      rs_no_policy_version: "no policy version", rs_policy_not_held: "policy version not held by the cloud", rs_policy_invalid: "policy version does not parse",
      rs_elder_not_on_roster: "elder on no cloud roster", rs_site_not_in_tree: "site not in the org tree", rs_site_without_codes: "no division code above the site",
      d_discounted: "discounted", orgCode: "Division code",
      rvTitle: "Items to review (anti-fraud)", rvUnit: "Unit",
      rvNote: "{month} (month boundaries in {tz} time): {items} items to review.",
      rvNone: "No items to review for this unit this month.", rvItems: "{n} items", rvMeals: "{n} meals",
      rvRules: "One elder served at two or more sites in one day and window; a card used after it was reported lost or cancelled at the cloud; meals after the elder was removed from the site's roster; {n} or more manual meals by one staff account within {m} minutes; voided meals; card taps at night, {from}:00 to {to}:00. Refused taps are no meal; a voided meal is listed only as a void. Meals at sites outside your scope show only their id, site, time and decision.",
      rvk_two_sites_one_window: "Served at two sites in one window", rvk_after_card_lost: "Card used after reported lost", rvk_after_removed: "Meal after removal from roster",
      rvk_manual_burst: "Burst of manual meals", rvk_void: "Voided meal", rvk_unusual_hours: "Card used at unusual hours",
      rvEvent: "Event ID", rvTime: "Time ({tz})", rvSite: "Site", rvElder: "Elder", rvCard: "Card", rvWindow: "Window", rvDecision: "Decision",
      rvStaff: "Recorded by", rvPrice: "Price", rvSubsidy: "Subsidy", rvPay: "Paid", rvVoidedBy: "Voided by", rvWithheld: "outside your scope, not shown", rvManual: "manual",
      d_discounted: "discounted",
      stTitle: "Elder meal subsidy settlement", stUnit: "Unit", stAllUnits: "All (this token's scope)",
      stRules: "Amounts in yuan. Meals exclude voided ones; the subsidy total is the sum of the funding layers; outside meals are meals with a share whose division code is not the elder's home (paid by the site's jurisdiction), or whose every share was lost outside the home jurisdiction.",
      stNote: "{month} (month boundaries in {tz} time): {meals} meals, subsidy ¥{subsidy}, paid by elders ¥{pay}, {voids} voided.",
      stLevel: "Level", stName: "Name", stMeals: "Meals", stSubsidised: "Subsidised", stPrice: "Price total", stPay: "Paid by elders", stSubsidy: "Subsidy total",
      stOutside: "Outside meals", stOutsideFen: "Outside subsidy", stOperating: "Operating subsidy", stDiscount: "Discounts", stManual: "Manual", stVoids: "Voided", stVoidPrice: "Voided price",
      stOpen: "{month} is open. Closing it settles the reconciliation's differences in the statement as adjustments.", stOpenNotEnded: "{month} is open (the month has not ended; it can be closed once it has).",
      stClosed: "{month} is closed: statement {number}, closed by {by} at {at} ({tz}).", stCovered: "{month} was closed with the parent unit's statement {number} ({by}, {at}, {tz}); these figures leave out events received after that close.",
      stSha: "SHA-256: {sha}", stCloseBtn: "Close month…", stBytes: "Download the statement as stored (JSON)", stCloseConfirmBtn: "Close the month", stCancel: "Cancel",
      stConfirm: "Close {month} for {unit}? The statement will never change; events of the month received afterwards go to the next month as adjustments.", stClosedOK: "Closed: statement {number}.", stCloseFailed: "Close failed: {msg}",
      stCloseRules: "A closed statement never changes (number, who closed it, when, and the SHA-256 of its content); meals or voids of a closed month received after the close are adjustments in the next open month, labelled with their original date. The reconciliation's differences are settled in the statement as adjustments when it is closed.",
      stChart: "Subsidy per site by funding layer, and what elders paid", stYuan: "yuan",
      stAdjTitle: "Adjustments (late events received after a close; reconciliation differences settled at the close)", stAdjNone: "No adjustments this month.", stAdjKind: "Kind", stAdjDay: "Original date", stAdjSite: "Site", stAdjReceived: "Received",
      adj_late_meal: "Late meal", adj_late_void: "Late void", adj_reconcile: "Reconciliation difference", stAdjTotal: "Adjustments total", stGrandTotal: "Grand total (with adjustments)",
      stLayer: "Subsidy: {layer}", ly_city: "city", ly_district: "district", ly_street: "street", ly_charity: "charity",
      tabReports: "Reports", repTitle: "Alarm response report", repMonth: "Month", repShow: "Show", repCSV: "Download CSV", repXLSX: "Download Excel (XLSX)",
      repAlarms: "Alarms", repOpen: "Open", repAckP50: "Ack p50", repAckP90: "Ack p90", repAckMax: "Ack max",
      repResP50: "Resolve p50", repResP90: "Resolve p90", repResMax: "Resolve max", repWithin: "Acked within 60 s", repFalse: "False alarms", repEsc: "Escalations",
      repSup: "Supervision", repTotal: "Total", repOutside: " (outside the organisation tree)",
      repNote: "{month} (months in {tz} time): {alarms} alarms, open: {open}, acknowledged within 60 s: {within} ({pct}).",
      repRules: "Times are m:ss. p50 and p90 are nearest-rank percentiles; time to acknowledge = first acknowledgement − alarm, time to resolve = first close − alarm; open alarms are left out of the resolve times; the 60-second share is of all alarms.",
      repNoMonth: "Choose a month", repLoading: "Loading…",
      svcTitle: "Service statistics", svcUnit: "Unit", svcAll: "All", svcDailyChart: "Meals served and elders served per day", svcWindowChart: "Meals served per window",
      svcMeals: "Meals served", svcElders: "Elders served", svcRoster: "On roster", svcCoverage: "Coverage", svcNoData: "No meals in this period",
      svcKind: "Period", svcByMonth: "Month", svcByWeek: "Week", svcByDay: "Day", svcPeriod: "Period",
      svcWeekly: "Meals served and elders served per week (elders distinct per week)", svcWeek: "Week", svcDays: "Days",
      svcNote: "{month} (by service day): {meals} meals served, {elders} elders served, {roster} on the roster, coverage {pct}.",
      svcRules: "Meals served exclude refusals and voided meals; elders are counted once even if they ate at several sites; coverage = elders served ÷ active elders on the roster; days are service days.",
      chTitle: "Where charity money went", chFund: "Charity fund", chPublish: "Publish summary", chPubTitle: "Public page", chSha: "Checksum (SHA-256)",
      chPubHelp: "Donors scan the code to open the month's public summary (no personal data); a summary never changes, publishing again makes a new page.",
      chSites: "By site", chDistrict: "District", chMeals: "Meals paid for", chElders: "Elders", chAmount: "Amount (yuan)",
      chEldersTitle: "Elders (masked)", chWhere: "Sites", chDays: "By day", chDay: "Day", chPubs: "Published summaries",
      chRules: "A charity fund is the funding layer of the policies named by the fund's id; meals paid for are this month's meals (by event time) with a share of the fund, not voided; elders are counted once; amounts in yuan; voided meals are counted apart.",
      chNoFund: "No charity fund is registered yet (an admin registers one through the API).", chPublishing: "Publishing…",
      chNote: "{fund}, {month} (months in {tz} time): {meals} meals paid for, {elders} elders, {yuan} yuan; {voids} voided meals not counted.",
      chPublished: "Published the summary of {fund}, {month}.", chPubLine: "{month} · {unit} · {at} · {by}", chShowQR: "QR code",
      chQRAlt: "QR code of the public page: {url}", chNoPubs: "None yet",
    },
  };
  const $ = (id) => document.getElementById(id);
  let lang = localStorage.getItem("eg.lang") || "zh-CN";
  if (!T[lang]) lang = "zh-CN";
  const t = (k) => (T[lang][k] !== undefined ? T[lang][k] : (T.en[k] !== undefined ? T.en[k] : k));
  const tk = (prefix, v) => { const k = prefix + v; return T[lang][k] !== undefined ? T[lang][k] : v; };
  let timer = null;
  const last = { alerts: "", meals: "", gateways: "", org: "" };

  // yuan formats integer fen without floating point.
  const yuan = (fen) => {
    const n = Math.trunc(Number(fen) || 0), s = n < 0 ? "-" : "", a = Math.abs(n);
    return s + "¥" + Math.floor(a / 100) + "." + String(a % 100).padStart(2, "0");
  };
  // DefaultZone is the zone of a time whose site names none (the cloud's
  // domain.DefaultTimeZone).
  const DefaultZone = "Asia/Shanghai";
  const zoned = {}; // IANA zone -> Intl.DateTimeFormat
  // when shows an instant in zone tz (default DefaultZone) with the zone
  // named: "2026-12-06 12:01 (Asia/Shanghai)". Times are UTC on the wire
  // and never shown in the browser's own zone.
  const when = (iso, tz) => {
    if (!iso) return "—";
    const d = new Date(iso);
    if (isNaN(d)) return "—";
    const z = tz || DefaultZone;
    let f = zoned[z];
    if (!f) {
      try {
        f = zoned[z] = new Intl.DateTimeFormat("en-CA", { timeZone: z, year: "numeric", month: "2-digit", day: "2-digit",
          hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
      } catch (e) { return when(iso, DefaultZone); }
    }
    const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute} (${z})`;
  };

  function applyLang() {
    document.documentElement.lang = lang;
    $("lang").value = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    document.title = t("title");
    renderEnroll(); // the enrollment shown, if any, with the new language
    last.alerts = last.meals = last.gateways = last.org = ""; // re-render with the new language
    soundButton();
    if (AS) renderAlarmSettings(); // from what was last loaded or saved
    const live = $("live");
    if (live.dataset.live === "true") live.textContent = "● " + t("live");
    else if (streamAbort) live.textContent = t("liveLost");
    renderBoard();
    renderRoster(); // the roster tab too, from what it last loaded
    renderPreview(); // and the import's preview
    renderMenu(); // the menu tab, with unsaved edits kept
    renderCare(); // the care tab, from what it last loaded
    renderReport(); // and the report tab
    renderSettlement();
    renderReconcile();
    renderReview();
    renderService(); // and its service statistics
    renderCharity(); // and where charity money went
    pagesRender(); // and every page of pages/
  }

  function cell(tr, text, cls, testid) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    if (testid) td.dataset.testid = testid;
    tr.appendChild(td);
    return td;
  }

  function emptyRow(tbody, cols) {
    const tr = document.createElement("tr");
    const td = cell(tr, t("none"));
    td.colSpan = cols;
    tbody.appendChild(tr);
  }

  // The outcomes a resolver chooses from (domain.AlertOutcomes).
  const OUTCOMES = ["helped_on_site", "sent_to_hospital", "family_contacted", "false_alarm", "test"];
  const outcomeText = { helped_on_site: () => t("o_helped_on_site"), sent_to_hospital: () => t("o_sent_to_hospital"),
    family_contacted: () => t("o_family_contacted"), false_alarm: () => t("o_false_alarm"), test: () => t("o_test") };
  const outcomeName = (o) => (outcomeText[o] ? outcomeText[o]() : o);
  // Open resolve forms by alert id, so that a refresh keeps what was chosen.
  const resolving = {};

  // ---- The alarm board: fed by GET /api/v1/alerts/stream (SSE), live
  // alerts first (open, then pressed again, then acknowledged; emergencies
  // before supervision), newest first; a sound while an alert is open and
  // the time since the press counting up.
  const board = new Map(); // alert id -> alert
  const timelines = {};    // alert id -> timeline entries, for the open "details" rows
  const orgNames = {};     // org unit id -> name
  const siteName = (id) => orgNames[id] || id;
  function urgency(a) {
    const live = a.state === "open" || a.state === "acknowledged";
    let u = live ? 0 : 10;
    if (a.state === "acknowledged" && !a.pressed_again_at) u += 2;
    if (a.type === "supervision") u += 4;
    return u;
  }
  function boardList() {
    return [...board.values()].sort((x, y) => urgency(x) - urgency(y) || (y.opened_at > x.opened_at ? 1 : y.opened_at < x.opened_at ? -1 : 0));
  }
  const elapsed = (iso) => {
    const s = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 1000));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + r : m + ":" + r;
  };

  function renderAlerts(list) {
    const tb = $("alerts");
    tb.replaceChildren();
    if (!list.length) return emptyRow(tb, 8);
    for (const a of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "alert-row";
      tr.dataset.alertId = a.id;
      tr.dataset.state = a.state;
      tr.dataset.type = a.type;
      if (a.pressed_again_at && a.state === "acknowledged") tr.dataset.pressedAgain = "true";
      const live = a.state === "open" || a.state === "acknowledged";
      cell(tr, when(a.opened_at));
      const el = cell(tr, live ? elapsed(a.opened_at) : "—", "num", "alert-elapsed");
      if (live) el.dataset.since = a.opened_at;
      cell(tr, siteName(a.site), "", "alert-site");
      cell(tr, [a.button_name || a.button || "—", a.place].filter(Boolean).join(" · "), "", "alert-button");
      cell(tr, tk("t_", a.type) + (a.reason ? " · " + tk("r_", a.reason) : ""));
      cell(tr, String(a.presses), "num", "alert-presses");
      const st = cell(tr, tk("st_", a.state), "", "alert-state");
      if (tr.dataset.pressedAgain) {
        const p = document.createElement("div");
        p.className = "error";
        p.dataset.testid = "alert-pressed-again";
        p.textContent = fmt("pressedAgain", { time: when(a.pressed_again_at) });
        st.appendChild(p);
      }
      const esc = a.escalation || {};
      if (esc.escalations > 0) {
        const e = document.createElement("div");
        e.className = "warn";
        e.dataset.testid = "alert-escalated";
        e.textContent = fmt("escalatedN", { n: esc.escalations });
        st.appendChild(e);
      }
      const td = cell(tr, "");
      if (a.state === "open") {
        const b = document.createElement("button");
        b.textContent = t("ack");
        b.dataset.testid = "ack-button";
        b.addEventListener("click", () => ack(a.id, b));
        td.appendChild(b);
      } else if (a.acked_by) {
        const s = document.createElement("div");
        s.dataset.testid = "alert-acked-by";
        s.textContent = fmt("ackedByVia", { by: a.acked_by, via: tk("via_", a.acked_via) });
        td.appendChild(s);
      }
      if (!live && a.outcome) {
        const o = document.createElement("div");
        o.dataset.testid = "alert-outcome";
        o.textContent = outcomeName(a.outcome) + (a.note ? " · " + a.note : "");
        td.appendChild(o);
      }
      if (live && resolving[a.id]) td.appendChild(resolveForm(a.id));
      else if (live) {
        const b = document.createElement("button");
        b.textContent = t("resolve");
        b.dataset.testid = "resolve-button";
        b.addEventListener("click", () => { resolving[a.id] = { outcome: "", note: "", err: "" }; renderBoard(); });
        td.appendChild(b);
      }
      const d = document.createElement("button");
      d.type = "button";
      d.className = "link";
      d.dataset.testid = "alert-details";
      d.textContent = timelines[a.id] ? t("hideDetails") : t("details");
      d.addEventListener("click", () => toggleTimeline(a.id));
      td.appendChild(d);
      tb.appendChild(tr);
      if (timelines[a.id]) tb.appendChild(timelineRow(a.id));
    }
    for (const id in resolving) if (!list.some((a) => a.id === id && (a.state === "open" || a.state === "acknowledged"))) delete resolving[id];
  }

  // timelineRow lists what happened to an alert: presses, the
  // acknowledgement, each notification and its delivery, the close.
  function timelineRow(id) {
    const tr = document.createElement("tr");
    tr.className = "timeline";
    const td = document.createElement("td");
    td.colSpan = 8;
    const ol = document.createElement("ol");
    ol.dataset.testid = "alert-timeline";
    for (const l of timelines[id]) {
      const li = document.createElement("li");
      const who = [l.by, l.level].filter(Boolean).join(" → ");
      li.textContent = new Date(l.at).toLocaleTimeString(lang) + " " + tk("k_", l.kind) + (who ? " · " + who : "") + (l.detail ? " · " + tk(l.kind === "notified" ? "s_" : "o_", l.detail) : "");
      if (l.kind === "delivery" && l.detail !== "ok") li.className = "error";
      ol.appendChild(li);
    }
    td.appendChild(ol);
    tr.appendChild(td);
    return tr;
  }

  async function toggleTimeline(id) {
    if (timelines[id]) { delete timelines[id]; renderBoard(); return; }
    try {
      const d = await api("GET", "alerts/" + encodeURIComponent(id));
      timelines[id] = d.log || [];
    } catch (e) { return; }
    renderBoard();
  }

  let boardDirty = false;
  function renderBoard() {
    // Not while a resolve form is in use: the re-render would take the
    // focus away; it is drawn once the form is left.
    if (inResolveForm()) { boardDirty = true; return; }
    boardDirty = false;
    renderAlerts(boardList());
  }

  // The sound: a two-tone call every 3 s while an emergency is open or
  // pressed again (browsers play sound only after a click: the toggle).
  let audio = null;
  window.egAlarmSounds = 0; // how many calls were played (for tests)
  function soundButton() {
    const b = $("sound");
    b.textContent = audio ? t("soundOn") : t("soundOff");
    b.dataset.sound = audio ? "on" : "off";
  }
  function toggleSound() {
    if (audio) { audio.close(); audio = null; }
    else { audio = new (window.AudioContext || window.webkitAudioContext)(); }
    localStorage.setItem("eg.sound", audio ? "on" : "off");
    soundButton();
  }
  function call3s() {
    const urgent = [...board.values()].some((a) => a.type !== "supervision" && (a.state === "open" || (a.state === "acknowledged" && a.pressed_again_at)));
    if (!audio || !urgent) return;
    const now = audio.currentTime;
    for (const [i, f] of [[0, 880], [1, 660]]) {
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = f;
      g.gain.setValueAtTime(0.2, now + i * 0.35);
      g.gain.setValueAtTime(0, now + i * 0.35 + 0.3);
      o.connect(g).connect(audio.destination);
      o.start(now + i * 0.35);
      o.stop(now + i * 0.35 + 0.32);
    }
    window.egAlarmSounds++;
  }
  setInterval(() => {
    document.querySelectorAll("[data-testid=alert-elapsed][data-since]").forEach((el) => { el.textContent = elapsed(el.dataset.since); });
  }, 1000);
  setInterval(call3s, 3000);

  // streamBoard follows the board over SSE (fetch, so that the token goes
  // in a header, not the URL) and reconnects after a second when cut.
  let streamAbort = null;
  async function streamBoard() {
    if (streamAbort) return;
    const ctl = new AbortController();
    streamAbort = ctl;
    while (!ctl.signal.aborted) {
      try {
        const res = await fetch("/api/v1/alerts/stream", { headers: authHeaders(), signal: ctl.signal, cache: "no-store" });
        if (res.status === 401) { logout(t("badToken")); return; }
        if (!res.ok) throw new Error("stream " + res.status);
        $("live").textContent = "● " + t("live");
        $("live").dataset.live = "true";
        const reader = res.body.getReader(), dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const msg = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let ev = "message", data = "";
            for (const line of msg.split("\n")) {
              if (line.startsWith("event: ")) ev = line.slice(7);
              else if (line.startsWith("data: ")) data += line.slice(6);
            }
            if (data) onBoardEvent(ev, JSON.parse(data));
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
      }
      $("live").textContent = t("liveLost");
      $("live").dataset.live = "false";
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  function stopStream() {
    if (streamAbort) { streamAbort.abort(); streamAbort = null; }
    board.clear();
  }
  function onBoardEvent(ev, data) {
    let ring = false;
    if (ev === "board") {
      board.clear();
      for (const a of data.alerts) board.set(a.id, a);
    } else if (ev === "change") {
      for (const c of data) {
        const before = board.get(c.alert.id);
        board.set(c.alert.id, c.alert);
        if (!before && c.alert.state === "open" && c.alert.type !== "supervision") ring = true;
        if (before && c.alert.pressed_again_at && c.alert.pressed_again_at !== before.pressed_again_at) ring = true;
        if (timelines[c.alert.id]) timelines[c.alert.id] = timelines[c.alert.id].concat(c.log || []);
      }
    }
    renderBoard();
    if (ring) call3s();
    if (ev === "board") openLinkedAlert();
  }

  // openLinkedAlert opens the alert a notification links to
  // (console/#alert=ID): its timeline, scrolled into view.
  let linked = "";
  async function openLinkedAlert() {
    const m = location.hash.match(/^#alert=([A-Za-z0-9-]{1,64})$/);
    if (!m || linked === m[1]) return;
    linked = m[1];
    if (!timelines[linked]) await toggleTimeline(linked);
    const row = document.querySelector('[data-testid="alert-row"][data-alert-id="' + linked + '"]');
    if (row) { row.classList.add("linked"); row.scrollIntoView({ block: "center" }); }
  }
  window.addEventListener("hashchange", () => { linked = ""; openLinkedAlert(); });

  const inResolveForm = () => !!(document.activeElement && document.activeElement.closest && document.activeElement.closest("[data-testid=resolve-form]"));
  const leaveForm = () => { if (inResolveForm()) document.activeElement.blur(); };

  // resolveForm is the inline form that closes alert id with an outcome
  // and a note; the server's refusal is shown as it says it.
  function resolveForm(id) {
    const f = resolving[id];
    const form = document.createElement("form");
    form.dataset.testid = "resolve-form";
    form.className = "resolve-form";
    const sel = document.createElement("select");
    sel.dataset.testid = "resolve-outcome";
    sel.required = true;
    const ph = document.createElement("option");
    ph.value = "";
    ph.textContent = t("outcome");
    sel.appendChild(ph);
    for (const o of OUTCOMES) {
      const opt = document.createElement("option");
      opt.value = o;
      opt.textContent = outcomeName(o);
      sel.appendChild(opt);
    }
    sel.value = f.outcome;
    sel.addEventListener("change", () => { f.outcome = sel.value; });
    const note = document.createElement("input");
    note.dataset.testid = "resolve-note";
    note.maxLength = 1000;
    note.placeholder = t("note");
    note.value = f.note;
    note.addEventListener("input", () => { f.note = note.value; });
    const ok = document.createElement("button");
    ok.type = "submit";
    ok.textContent = t("resolveSubmit");
    ok.dataset.testid = "resolve-submit";
    const no = document.createElement("button");
    no.type = "button";
    no.textContent = t("cancel");
    no.addEventListener("click", () => { delete resolving[id]; leaveForm(); renderBoard(); });
    const err = document.createElement("div");
    err.className = "error";
    err.dataset.testid = "resolve-error";
    err.textContent = f.err ? fmt("resolveFailed", { msg: f.err }) : "";
    form.append(sel, note, ok, no, err);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      ok.disabled = true;
      try {
        const r = await call("POST", "alerts/" + encodeURIComponent(id) + "/resolve",
          JSON.stringify({ outcome: f.outcome, note: f.note, via: "console" }), "application/json");
        if (r.ok) delete resolving[id];
        else f.err = errText(r);
      } catch (e) {
        if (e.message !== "unauthorized") f.err = t("netError");
      }
      leaveForm();
      renderBoard();
    });
    return form;
  }

  function renderMeals(list) {
    const tb = $("meals-latest");
    tb.replaceChildren();
    if (!list.length) return emptyRow(tb, 8);
    for (const m of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "meal-row";
      tr.dataset.eventId = m.event_id;
      cell(tr, when(m.at));
      cell(tr, siteName(m.site));
      cell(tr, m.elder_id, "", "meal-elder");
      cell(tr, tk("w_", m.window));
      cell(tr, tk("d_", m.decision), "", "meal-decision");
      cell(tr, yuan(m.price_fen), "num");
      cell(tr, yuan(m.subsidy_fen), "num");
      cell(tr, yuan(m.pay_fen), "num", "meal-pay");
      tb.appendChild(tr);
    }
  }

  function renderGateways(list) {
    const tb = $("gateways");
    tb.replaceChildren();
    if (!list.length) return emptyRow(tb, 7);
    for (const g of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "gateway-row";
      tr.dataset.gw = g.id;
      tr.dataset.online = g.online ? "true" : "false";
      const a = document.createElement("a"); // the gateway's page (pages/gateway.js)
      a.href = "#gateway/" + encodeURIComponent(g.id);
      a.textContent = g.id;
      a.dataset.testid = "gateway-page-link";
      cell(tr, "").appendChild(a);
      cell(tr, g.site ? siteName(g.site) : "—", "", "gateway-site").dataset.site = g.site || "";
      cell(tr, g.online ? t("yes") : t("no"), g.online ? "online" : "offline", "gateway-online");
      cell(tr, when(g.last_seen));
      cell(tr, (g.version || "—") + (g.platform ? " · " + g.platform : ""), "", "gateway-version"); // and what it runs on (the birth's platform)
      const cs = g.config_status || "unknown";
      cell(tr, tk("cfg_", cs), "cfg-" + cs, "gateway-config");
      const ro = g.roster; // which roster the gateway runs (ADR 0025)
      const rc = cell(tr, !ro ? t("rs_none") : ro.source === "cloud" ? fmt("rs_cloud", { v: ro.version, n: ro.elders }) : fmt("rs_local", { n: ro.elders }),
        "rs-" + (ro ? ro.source : "none"), "gateway-roster");
      rc.dataset.source = ro ? ro.source : "";
      tb.appendChild(tr);
    }
  }

  // renderOrg shows the organisation tree visible to the token, indented
  // by level (the list comes ordered by path).
  function renderOrg(list) {
    const tb = $("org");
    tb.replaceChildren();
    if (!list.length) return emptyRow(tb, 5);
    const depth = { district: 0, street: 1, community: 2, site: 3 };
    for (const u of list) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "org-row";
      tr.dataset.unit = u.id;
      const td = cell(tr, u.name);
      td.style.paddingLeft = (0.5 + 1.5 * (depth[u.level] || 0)) + "em";
      cell(tr, u.id);
      cell(tr, tk("lv_", u.level));
      cell(tr, u.code || "", "", "org-code");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t("alarmSettings");
      b.dataset.testid = "org-alarm-settings";
      b.addEventListener("click", () => openAlarmSettings(u).catch(() => say("as-msg", t("netError"), true)));
      cell(tr, "").appendChild(b);
      tb.appendChild(tr);
    }
  }

  // ---- Alarm settings of an org unit (operators): reminder and
  // escalation times, on-duty spans, channels. The server checks the
  // document and names what is wrong; stored secrets come back masked
  // and are kept when left as they are.
  let AS = null; // { unit, name, level, stored, s }
  const MASKED = "********";
  async function openAlarmSettings(u) {
    const r = await call("GET", "org/" + encodeURIComponent(u.id) + "/alarm-settings");
    if (!r.ok) { AS = null; $("as-panel").hidden = false; say("as-msg", errText(r), true); return; }
    AS = { unit: u.id, name: u.name, level: u.level, stored: r.data.stored, s: r.data.settings };
    renderAlarmSettings();
    say("as-msg", AS.stored ? "" : t("asDefaults"));
    $("as-panel").scrollIntoView({ block: "start" });
  }
  function channelRow(c) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "as-channel";
    const input = (k, v, attrs) => { const i = document.createElement("input"); i.dataset.k = k; i.value = v || ""; Object.assign(i, attrs || {}); const td = document.createElement("td"); td.appendChild(i); tr.appendChild(td); return i; };
    const kind = document.createElement("select");
    kind.dataset.k = "kind";
    for (const k of ["wecom", "dingtalk", "webhook"]) { const o = document.createElement("option"); o.value = k; o.textContent = tk("kind_", k); kind.appendChild(o); }
    kind.value = c.kind || "wecom";
    const td0 = document.createElement("td"); td0.appendChild(kind); tr.appendChild(td0);
    input("id", c.id, { size: 8, maxLength: 40 });
    input("url", c.url, { type: "url", size: 28 });
    const sec = input("secret", c.secret === MASKED ? "" : c.secret, { type: "password", size: 10, autocomplete: "new-password" });
    if (c.secret === MASKED) sec.placeholder = t("asSecretKept");
    const lang = document.createElement("select");
    lang.dataset.k = "lang";
    for (const [v, n] of [["zh-CN", "简体中文"], ["zh-HK", "繁體中文"], ["en", "English"]]) { const o = document.createElement("option"); o.value = v; o.textContent = n; lang.appendChild(o); }
    lang.value = c.lang || "zh-CN";
    const td1 = document.createElement("td"); td1.appendChild(lang); tr.appendChild(td1);
    const td2 = document.createElement("td");
    const test = document.createElement("button");
    test.type = "button"; test.textContent = t("asTest"); test.dataset.testid = "as-test";
    const out = document.createElement("div"); out.dataset.testid = "as-test-result";
    test.addEventListener("click", async () => {
      out.textContent = "…";
      try {
        const r = await call("POST", "org/" + encodeURIComponent(AS.unit) + "/alarm-settings/test", JSON.stringify({ channel: tr.querySelector("[data-k=id]").value.trim() }), "application/json");
        out.className = r.ok && r.data.ok ? "" : "error";
        out.textContent = r.ok ? (r.data.ok ? t("asTestOk") : fmt("asTestFail", { msg: r.data.error })) : fmt("asTestFail", { msg: errText(r) });
      } catch (e) { out.className = "error"; out.textContent = t("netError"); }
    });
    const rm = document.createElement("button");
    rm.type = "button"; rm.textContent = t("asRemove");
    rm.addEventListener("click", () => tr.remove());
    td2.append(test, rm, out);
    tr.appendChild(td2);
    return tr;
  }
  function renderAlarmSettings() {
    $("as-panel").hidden = !AS;
    if (!AS) return;
    $("as-title").textContent = fmt("asTitle", { name: AS.name + " (" + tk("lv_", AS.level) + ")" });
    $("as-remind").value = AS.s.remind_after_s;
    $("as-escalate").value = AS.s.escalate_after_s;
    $("as-tz").value = AS.s.time_zone || "Asia/Shanghai";
    $("as-duty").value = (AS.s.on_duty || []).map((d) => d.days + " " + d.from + "-" + d.to).join("\n");
    $("as-channels").replaceChildren(...(AS.s.channels || []).map(channelRow));
  }
  function alarmSettingsDoc() {
    const on_duty = [];
    const lines = $("as-duty").value.split("\n").map((l) => l.trim()).filter(Boolean);
    for (let i = 0; i < lines.length; i++) {
      const m = lines[i].match(/^(\S+)\s+(\d\d:\d\d)\s*-\s*(\d\d:\d\d)$/);
      if (!m) throw new Error(fmt("asDutyLine", { n: i + 1 }));
      on_duty.push({ days: m[1], from: m[2], to: m[3] });
    }
    const channels = [...$("as-channels").querySelectorAll("tr")].map((tr) => {
      const c = {};
      tr.querySelectorAll("[data-k]").forEach((el) => { c[el.dataset.k] = el.value.trim(); });
      if (!c.secret && tr.querySelector("[data-k=secret]").placeholder) c.secret = MASKED; // left as it was
      if (!c.secret) delete c.secret;
      return c;
    });
    return { remind_after_s: Number($("as-remind").value), escalate_after_s: Number($("as-escalate").value),
      time_zone: $("as-tz").value.trim(), on_duty, channels };
  }
  async function saveAlarmSettings() {
    let doc;
    try { doc = alarmSettingsDoc(); } catch (e) { say("as-msg", e.message, true); return; }
    const r = await call("PUT", "org/" + encodeURIComponent(AS.unit) + "/alarm-settings", JSON.stringify(doc), "application/json");
    if (!r.ok) { say("as-msg", errText(r), true); return; }
    AS.stored = true;
    AS.s = r.data.settings;
    renderAlarmSettings();
    say("as-msg", t("asSaved"));
  }

  // The console signs in with a session cookie (HttpOnly: the page never
  // sees it); every change also carries the session's CSRF token, known
  // from the sign-in's answer or GET /api/v1/me and kept only in memory.
  let CSRF = "";
  function authHeaders(extra) {
    const h = Object.assign({}, extra || {});
    if (CSRF) h["X-CSRF-Token"] = CSRF;
    return h;
  }
  async function api(method, path, body) {
    const res = await fetch("/api/v1/" + path, {
      method,
      headers: authHeaders({ "Content-Type": "application/json" }),
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
    if (res.status === 401) { logout(t("badToken")); throw new Error("unauthorized"); }
    if (!res.ok) throw new Error(method + " " + path + ": " + res.status);
    return res.json();
  }

  async function ack(id, btn) {
    btn.disabled = true;
    try { await api("POST", "alerts/" + encodeURIComponent(id) + "/ack", { via: "console" }); }
    catch (e) { btn.disabled = false; }
  }

  let busy = false;
  async function refresh() {
    if (busy || $("dashboard").hidden) return; // the roster tab does not poll
    busy = true;
    try {
      // The alarm board is live (streamBoard); the rest is polled.
      const [meals, gateways, org] = await Promise.all([api("GET", "meals"), api("GET", "gateways"), api("GET", "org")]);
      const parts = { meals: [meals, renderMeals], gateways: [gateways, renderGateways], org: [org, renderOrg] };
      for (const u of org) orgNames[u.id] = u.name;
      for (const k in parts) {
        const s = JSON.stringify(parts[k][0]);
        if (s !== last[k]) { last[k] = s; parts[k][1](parts[k][0]); }
      }
      if (boardDirty) renderBoard();
      $("status").textContent = t("updated") + " " + new Date().toLocaleTimeString(lang);
    } catch (e) {
      if (e.message !== "unauthorized") $("status").textContent = t("netError");
    } finally {
      busy = false;
    }
  }

  // ---- Roster & policy tab (operators): roster import, lost cards,
  // policies. Personal data arrives masked from the API and stays so.
  const fmt = (k, v) => t(k).replace(/\{(\w+)\}/g, (m, n) => (v[n] !== undefined ? String(v[n]) : m));
  const R = { roster: null, maxRows: 500 };

  // call sends a raw body and returns the status and the decoded answer
  // without throwing on 4xx, so that refusals can be shown.
  async function call(method, path, body, type) {
    const headers = authHeaders();
    if (type) headers["Content-Type"] = type;
    const res = await fetch("/api/v1/" + path, { method, headers, body, cache: "no-store", credentials: "same-origin" });
    if (res.status === 401) { logout(t("badToken")); throw new Error("unauthorized"); }
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    return { status: res.status, ok: res.ok, data: data || {} };
  }

  const errText = (r) => (r.data && r.data.error) || ("HTTP " + r.status);
  const site = () => $("r-site").value.trim();
  function say(id, text, bad) {
    const el = $(id);
    el.textContent = text;
    el.classList.toggle("error", !!bad);
    el.dataset.state = bad ? "error" : "ok";
  }

  function showTab(name, arg) {
    document.querySelectorAll("#tabs .tab").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
    if (!BUILTIN.includes(name)) {
      for (const b of BUILTIN) $(b).hidden = true;
      showPage(name, arg || "");
      return;
    }
    showPage(name, "");
    if (!roleSees(ME.role, { role: BUILTIN_ROLE[name] })) { // reached by URL
      for (const b of BUILTIN) $(b).hidden = true;
      const denied = $("page-denied");
      denied.hidden = false;
      denied.dataset.state = "denied";
      $("page-denied-text").textContent = t("pageDenied");
      return;
    }
    $("dashboard").hidden = name !== "dashboard";
    $("roster").hidden = name !== "roster";
    $("reports").hidden = name !== "reports";
    $("menu").hidden = name !== "menu";
    $("care").hidden = name !== "care";
    if (name === "roster") openRosterTab();
    else if (name === "menu") openMenuTab();
    else if (name === "reports") openReportsTab();
    else if (name === "care") openCareTab();
    else refresh();
  }

  async function openRosterTab() {
    try {
      const [org, gws] = await Promise.all([api("GET", "org"), api("GET", "gateways")]);
      const sites = org.filter((u) => u.level === "site").map((u) => u.id);
      $("r-nosites").hidden = sites.length > 0;
      // Sites of gateways are offered too: they are the sites with a kiosk.
      const all = [...new Set(sites.concat(gws.map((g) => g.site).filter(Boolean)))];
      $("r-sites").replaceChildren(...all.map((s) => { const o = document.createElement("option"); o.value = s; return o; }));
      if (!site() && all.length) $("r-site").value = all[0];
    } catch (e) { /* the site can still be typed */ }
    if (site()) loadRoster();
  }

  function fileType(f, fallback) {
    if (f.type) return f.type;
    return /\.xlsx$/i.test(f.name) ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : fallback;
  }

  // The roster import (ADR 0025): choosing a file shows its preview (what
  // the site gains, what changes, who is removed: "this hall will lose N
  // elders", the names masked); the import button imports at once only
  // when no one is removed, otherwise it asks for a second, explicit
  // confirmation, which sends the preview's token. A preview of an older
  // roster cannot confirm: the cloud answers 409 with the new preview.
  R.preview = null; // {data: the preview, ask: the confirmation is asked, note: a message key}

  // problemText says a problem of the roster file in the console's
  // language from its code and params (the API's message when the code
  // is unknown to this console).
  function problemText(p) {
    const key = "rp_" + p.code;
    if (!p.code || T[lang][key] === undefined) return p.message;
    const v = Object.assign({}, p.params || {});
    if (p.code === "column_missing") v.column = v.column === "id" ? t("rElderId") : t("rName");
    if (v.kind) v.kind = tk("ck_", v.kind);
    if (v.level) v.level = tk("rl_", v.level);
    if (p.code === "resident_id_bad") v.problem = T[lang]["rid_" + v.problem] !== undefined ? tk("rid_", v.problem).replace("{at}", String(v.at)) : v.detail;
    return tk("rp_", p.code).replace(/\{(\w+)\}/g, (m, n) => (v[n] !== undefined ? String(v[n]) : m));
  }

  function showProblems(rep) {
    R.report = rep; // drawn again in another language (renderPreview)
    const tb = $("r-report");
    tb.replaceChildren();
    for (const p of rep.problems || []) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "report-row";
      tr.dataset.row = String(p.row);
      tr.dataset.code = p.code || "";
      cell(tr, String(p.row), "num", "report-row-number");
      cell(tr, p.column || "—", "", "report-column");
      cell(tr, problemText(p), "", "report-message");
      tb.appendChild(tr);
    }
    $("r-report-table").hidden = false;
    const listed = (rep.problems || []).length;
    say("r-result", fmt("rRefused", { n: rep.problem_count }) + (listed < rep.problem_count ? fmt("rMore", { k: listed }) : ""), true);
  }

  // sendRoster posts the chosen file: a preview (dry), or the import with
  // the confirmation token (or none).
  async function sendRoster(dry, token) {
    const f = $("r-file").files[0];
    $("r-report-table").hidden = true;
    R.report = null;
    if (!site()) { say("r-result", t("rNoSite"), true); return null; }
    if (!f) { say("r-result", t("rNoFile"), true); return null; }
    say("r-result", t("rWorking"));
    const q = dry ? "?dry_run=true" : (token ? "?confirm=" + encodeURIComponent(token) : "");
    const r = await call("POST", "sites/" + encodeURIComponent(site()) + "/roster/import" + q, f, fileType(f, "text/csv"));
    if (r.status === 422 && r.data.report) { R.preview = null; showProblems(r.data.report); renderPreview(); return null; }
    return r;
  }

  async function previewRoster() {
    R.preview = null;
    renderPreview();
    const r = await sendRoster(true);
    if (!r) return;
    if (!r.ok) return say("r-result", fmt("rFailed", { msg: errText(r) }), true);
    R.preview = { data: r.data.preview, ask: false, note: "" };
    say("r-result", fmt("rCheckOK", { rows: r.data.report.rows, elders: r.data.report.elders }));
    renderPreview();
  }

  async function importRoster(token) {
    if (!R.preview && !token) {
      await previewRoster();
      if (!R.preview) return;
    }
    if (!token && R.preview.data.confirm_needed) { // the second, explicit step
      R.preview.ask = true;
      R.preview.note = "rConfirmAsk";
      renderPreview();
      say("r-result", t("rConfirmAsk"), true);
      $("r-confirm").focus();
      return;
    }
    const r = await sendRoster(false, token);
    if (!r) return;
    if (r.status === 409 && r.data.preview) { // not confirmed, or confirmed on an older roster
      R.preview = { data: r.data.preview, ask: true, note: r.data.code === "confirm_stale" ? "rStale" : "rConfirmAsk" };
      renderPreview();
      return say("r-result", t(r.data.code === "confirm_stale" ? "rStale" : "rConfirmAsk"), true);
    }
    if (r.status === 409) { R.preview = null; renderPreview(); return say("r-result", t("rChangedDuring"), true); }
    if (!r.ok) return say("r-result", fmt("rFailed", { msg: errText(r) }), true);
    R.preview = null;
    renderPreview();
    const c = r.data.change || {};
    say("r-result", fmt("rImported", { v: c.version, p: c.previous, e: c.elders, u: c.upserted, r: c.removed, c: (r.data.commands || []).length }));
    $("r-result").dataset.version = String(c.version);
    $("r-result").dataset.removed = String(c.removed);
    loadRoster();
  }

  // renderPreview draws R.preview (nothing when none), from what was
  // loaded, in the current language.
  function renderPreview() {
    const box = $("r-preview");
    box.replaceChildren();
    box.hidden = !R.preview;
    if (!R.preview) {
      if (R.report && !$("r-report-table").hidden) showProblems(R.report);
      return;
    }
    const p = R.preview.data;
    const el = (tag, text, cls, testid) => {
      const e = document.createElement(tag);
      if (text !== undefined) e.textContent = text;
      if (cls) e.className = cls;
      if (testid) e.dataset.testid = testid;
      return e;
    };
    box.dataset.lose = String(p.lose);
    box.dataset.version = String(p.version);
    box.appendChild(el("h3", t("rPreviewTitle")));
    box.appendChild(el("p", p.lose > 0 ? fmt("rPvLose", { n: p.lose }) : t("rPvNoLoss"), p.lose > 0 ? "pv-lose" : "pv-noloss", "roster-lose"));
    box.appendChild(el("p", fmt("rPvSummary", { site: siteName(p.site), before: p.before, after: p.after, added: p.counts.added,
      changed: p.counts.changed, removed: p.counts.removed, unchanged: p.counts.unchanged, v: p.version }), "status", "roster-preview-summary"));
    for (const g of p.gateways || []) {
      if (g.replaces_local) box.appendChild(el("p", fmt("rPvLocal", { gw: g.gw, n: g.reported.elders }), "pv-local", "roster-preview-local"));
    }
    const lists = el("div", undefined, "pv-lists");
    const list = (title, items, count, testid, line) => {
      const d = el("div", undefined, "pv-list");
      d.dataset.testid = testid;
      d.dataset.count = String(count);
      d.appendChild(el("h4", title + " (" + count + ")"));
      const ol = el("ul");
      for (const e of items) ol.appendChild(el("li", line(e), "", testid + "-item"));
      if (!count) ol.appendChild(el("li", t("rPvNone"), "muted"));
      if (count > items.length) ol.appendChild(el("li", fmt("rPvMore", { k: count - items.length }), "muted"));
      d.appendChild(ol);
      lists.appendChild(d);
    };
    list(t("rPvRemoved"), p.removed, p.counts.removed, "roster-preview-removed", (e) => e.id + " " + e.name);
    list(t("rPvAdded"), p.added, p.counts.added, "roster-preview-added", (e) => e.id + " " + e.name);
    list(t("rPvChanged"), p.changed, p.counts.changed, "roster-preview-changed",
      (e) => e.id + " " + e.name + " · " + (e.fields || []).map((f) => tk("rf_", f)).join("、"));
    box.appendChild(lists);
    if (R.preview.ask && p.confirm_needed) {
      const bar = el("div", undefined, "bar pv-confirm");
      // The roster changed since the preview the operator saw: said by the
      // button too (the ask itself is the result line above).
      if (R.preview.note === "rStale") bar.appendChild(el("p", t("rStale"), "error", "roster-confirm-note"));
      const yes = el("button", p.lose > 0 ? fmt("rConfirm", { n: p.lose }) : t("rConfirmLocal"), "danger", "roster-confirm");
      yes.type = "button";
      yes.id = "r-confirm";
      yes.addEventListener("click", () => importRoster(p.token).catch((e) => { if (e.message !== "unauthorized") say("r-result", t("netError"), true); }));
      const no = el("button", t("rCancel"), "", "roster-cancel");
      no.type = "button";
      no.addEventListener("click", () => { R.preview.ask = false; renderPreview(); say("r-result", t("rNoConfirm")); });
      bar.append(yes, no);
      box.appendChild(bar);
    }
  }

  async function loadRoster() {
    if (!site()) return say("r-summary", t("rNoSite"), true);
    const r = await call("GET", "sites/" + encodeURIComponent(site()) + "/roster");
    if (!r.ok) { R.roster = null; $("r-elders").replaceChildren(); return say("r-summary", fmt("rFailed", { msg: errText(r) }), true); }
    R.roster = r.data;
    renderRoster();
  }

  function renderRoster() {
    const v = R.roster;
    if (!v) return;
    const shown = v.elders.slice(0, R.maxRows);
    say("r-summary", fmt("rSummary", { site: v.site, v: v.version, n: v.count }) + (shown.length < v.count ? fmt("rShowing", { k: shown.length }) : ""));
    $("r-summary").dataset.version = String(v.version);
    const tb = $("r-elders");
    tb.replaceChildren();
    if (!shown.length) return emptyRow(tb, 7);
    for (const e of shown) {
      const creds = e.credentials.length ? e.credentials : [null];
      for (const c of creds) {
        const tr = document.createElement("tr");
        tr.dataset.testid = "roster-row";
        tr.dataset.elder = e.id;
        cell(tr, e.id);
        cell(tr, e.name, "", "roster-name");
        cell(tr, e.category || "—");
        if (!c) { cell(tr, "—"); cell(tr, "—"); cell(tr, "—"); cell(tr, ""); tb.appendChild(tr); continue; }
        const st = c.state || "active";
        tr.dataset.kind = c.kind;
        tr.dataset.credState = st;
        cell(tr, tk("ck_", c.kind));
        cell(tr, c.value, "", "cred-value");
        cell(tr, tk("cs_", st), "cs-" + st, "cred-state");
        const td = cell(tr, "");
        if (st === "active") {
          const b = document.createElement("button");
          b.type = "button";
          b.textContent = t("lost");
          b.dataset.testid = "lost-button";
          b.addEventListener("click", () => confirmLost(td, e, c));
          td.appendChild(b);
        }
        tb.appendChild(tr);
      }
    }
  }

  // confirmLost asks for the full number: the roster only shows it masked,
  // and typing it is the confirmation that the right card is blocked.
  function confirmLost(td, e, c) {
    const form = document.createElement("form");
    form.className = "confirm";
    form.dataset.testid = "lost-confirm";
    const lbl = document.createElement("label");
    lbl.textContent = fmt("lostPrompt", { v: c.value });
    const inp = document.createElement("input");
    inp.required = true;
    inp.autocomplete = "off";
    inp.dataset.testid = "lost-value";
    lbl.appendChild(inp);
    const ok = document.createElement("button");
    ok.type = "submit";
    ok.textContent = t("confirm");
    ok.dataset.testid = "lost-confirm-button";
    const no = document.createElement("button");
    no.type = "button";
    no.textContent = t("cancel");
    no.addEventListener("click", renderRoster);
    form.append(lbl, ok, no);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const value = inp.value.replace(/\s+/g, "").toUpperCase();
      const tail = c.value.replace(/^\*+/, "").slice(-4).toUpperCase();
      if (!value || value.length !== c.value.length || !value.endsWith(tail)) {
        return say("r-cred-result", fmt("lostMismatch", { v: c.value }), true);
      }
      ok.disabled = true;
      const r = await call("POST", "sites/" + encodeURIComponent(site()) + "/elders/" + encodeURIComponent(e.id) + "/credentials/state",
        JSON.stringify({ kind: c.kind, value, state: "lost" }), "application/json");
      if (!r.ok) { ok.disabled = false; return say("r-cred-result", fmt("rFailed", { msg: errText(r) }), true); }
      const ch = r.data.change || {};
      say("r-cred-result", fmt("lostDone", { id: e.id, kind: tk("ck_", c.kind), v: c.value, ver: ch.version, c: (r.data.commands || []).length }));
      loadRoster();
    });
    td.replaceChildren(form);
    inp.focus();
  }

  function wireRoster() {
    document.querySelectorAll("#tabs .tab").forEach((b) => b.addEventListener("click", () => go(b.dataset.tab, "")));
    const guard = (fn) => () => fn().catch((e) => { if (e.message !== "unauthorized") say("r-result", t("netError"), true); });
    $("r-check").addEventListener("click", guard(previewRoster));
    $("r-file").addEventListener("change", guard(previewRoster)); // the preview first
    $("r-import").addEventListener("click", guard(() => importRoster("")));
    $("r-load").addEventListener("click", guard(loadRoster));
    $("r-site").addEventListener("change", guard(loadRoster));
  }

  // ---- Menu tab (operators): the dishes of a site priced by the dish,
  // edited here and saved as a whole (PUT .../menu), which queues the menu
  // to every gateway of the site. Prices are typed in yuan and kept in fen.
  const M = { site: "", menu: null, dishes: [], dirty: false, editing: -1, result: null };
  // menuSay shows a result of the menu tab and keeps it, so that a change
  // of language shows it again in the new language.
  function menuSay(key, vars, bad) {
    M.result = key ? { key, vars: vars || {}, bad: !!bad } : null;
    say("m-result", key ? fmt(key, vars || {}) : "", bad);
  }
  const WINDOWS = ["breakfast", "lunch", "dinner"];
  const menuSite = () => $("m-site").value.trim();

  // parseYuan reads a price typed in yuan ("6", "1.5", "¥12.00") into
  // integer fen without floating point; err is "money" when it is no
  // amount of money, "range" when it is not from ¥0.01 to ¥1000.00.
  function parseYuan(text) {
    const v = String(text).trim().replace(/^[¥￥]\s*/, "").replace(/．/g, ".").replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
    const m = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(v);
    if (!m) return { err: "money" };
    const fen = Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
    if (fen < 1 || fen > 100000) return { err: "range" };
    return { fen };
  }
  const yuanPlain = (fen) => Math.floor(fen / 100) + "." + String(fen % 100).padStart(2, "0");

  async function openMenuTab() {
    if (!$("r-sites").children.length || !menuSite()) {
      try {
        const [org, gws] = await Promise.all([api("GET", "org"), api("GET", "gateways")]);
        const all = [...new Set(org.filter((u) => u.level === "site").map((u) => u.id).concat(gws.map((g) => g.site).filter(Boolean)))];
        $("r-sites").replaceChildren(...all.map((x) => { const o = document.createElement("option"); o.value = x; return o; }));
        if (!menuSite() && all.length) $("m-site").value = all[0];
      } catch (e) { /* the site can still be typed */ }
    }
    if (menuSite() && menuSite() !== M.site) loadMenu();
  }

  async function loadMenu() {
    const s = menuSite();
    menuSay(null);
    if (!s) return say("m-summary", t("rNoSite"), true);
    const r = await call("GET", "sites/" + encodeURIComponent(s) + "/menu");
    if (!r.ok && r.status !== 404) return say("m-summary", fmt("rFailed", { msg: errText(r) }), true);
    M.site = s;
    M.menu = r.ok ? r.data : null;
    M.dishes = M.menu ? JSON.parse(JSON.stringify(M.menu.dishes || [])) : [];
    M.dirty = false;
    M.editing = -1;
    $("m-form").hidden = true;
    renderMenu();
  }

  function renderMenu() {
    const tb = $("m-dishes");
    tb.replaceChildren();
    $("m-dirty").hidden = !M.dirty;
    const sum = $("m-summary");
    if (M.result) say("m-result", fmt(M.result.key, M.result.vars), M.result.bad);
    if (!M.site) { sum.textContent = ""; return; }
    if (M.menu) {
      say("m-summary", fmt("mSummary", { site: M.site, v: M.menu.version, n: (M.menu.dishes || []).length, by: M.menu.set_by, at: when(M.menu.set_at) }));
      sum.dataset.version = M.menu.version;
    } else {
      say("m-summary", fmt("mNone", { site: M.site }));
      delete sum.dataset.version;
    }
    if (!M.dishes.length) return emptyRow(tb, 7);
    M.dishes.forEach((d, i) => {
      const tr = document.createElement("tr");
      tr.dataset.testid = "dish-row";
      tr.dataset.dish = d.id;
      tr.dataset.off = d.off ? "true" : "false";
      cell(tr, d.name["zh-CN"] || "", "", "dish-name");
      cell(tr, d.name["zh-HK"] || "—");
      cell(tr, d.name.en || "—");
      cell(tr, yuan(d.price_fen), "num", "dish-price");
      const ws = d.windows || [];
      cell(tr, ws.length ? ws.map((w) => tk("w_", w)).join(lang === "en" ? ", " : "、") : t("mAllWindows"), "", "dish-windows");
      cell(tr, d.off ? t("mOff") : t("mOn"), d.off ? "cs-lost" : "cs-active", "dish-state");
      const td = cell(tr, "");
      const name = d.name["zh-CN"] || d.id;
      const edit = document.createElement("button");
      edit.type = "button";
      edit.textContent = t("mEdit");
      edit.dataset.testid = "dish-edit";
      edit.setAttribute("aria-label", t("mEdit") + " " + name);
      edit.addEventListener("click", () => editDish(i));
      const rm = document.createElement("button");
      rm.type = "button";
      rm.textContent = t("mRemove");
      rm.dataset.testid = "dish-remove";
      rm.setAttribute("aria-label", t("mRemove") + " " + name);
      rm.addEventListener("click", () => {
        M.dishes.splice(i, 1);
        M.dirty = true;
        if (M.editing === i) { M.editing = -1; $("m-form").hidden = true; }
        else if (M.editing > i) M.editing--;
        renderMenu();
        menuSay("mRemoved", { name });
      });
      td.append(edit, " ", rm);
      tb.appendChild(tr);
    });
    if (!$("m-form").hidden) $("m-form-title").textContent = M.editing < 0 ? t("mNew") : fmt("mEditing", { name: M.dishes[M.editing].name["zh-CN"] });
  }

  // editDish opens the form on dish i (-1: a new dish).
  function editDish(i) {
    if (!M.site) return menuSay("rNoSite", {}, true);
    M.editing = i;
    const d = i < 0 ? { name: {}, price_fen: 0, windows: [], off: false } : M.dishes[i];
    $("m-zh-cn").value = d.name["zh-CN"] || "";
    $("m-zh-hk").value = d.name["zh-HK"] || "";
    $("m-en").value = d.name.en || "";
    $("m-price").value = d.price_fen ? yuanPlain(d.price_fen) : "";
    document.querySelectorAll("#m-form .windows input").forEach((c) => { c.checked = (d.windows || []).includes(c.value); });
    $("m-off").checked = !!d.off;
    $("m-form-msg").textContent = "";
    $("m-form").hidden = false;
    $("m-form-title").textContent = i < 0 ? t("mNew") : fmt("mEditing", { name: d.name["zh-CN"] });
    $("m-form").scrollIntoView({ block: "nearest" });
    $("m-zh-cn").focus({ preventScroll: true });
  }

  function submitDish(ev) {
    ev.preventDefault();
    const msg = $("m-form-msg");
    const zh = $("m-zh-cn").value.trim();
    if (!zh) { msg.textContent = t("mNeedName"); $("m-zh-cn").focus(); return; }
    const p = parseYuan($("m-price").value);
    if (p.err) {
      msg.textContent = p.err === "range" ? t("mPriceRange") : fmt("mBadPrice", { p: $("m-price").value.trim() });
      $("m-price").focus();
      return;
    }
    const name = { "zh-CN": zh };
    if ($("m-zh-hk").value.trim()) name["zh-HK"] = $("m-zh-hk").value.trim();
    if ($("m-en").value.trim()) name.en = $("m-en").value.trim();
    const old = M.editing >= 0 ? M.dishes[M.editing] : null;
    // Windows other than the three ticked here (a policy's own) are kept.
    const other = ((old && old.windows) || []).filter((w) => !WINDOWS.includes(w));
    const windows = [...document.querySelectorAll("#m-form .windows input")].filter((c) => c.checked).map((c) => c.value).concat(other);
    const d = { id: old ? old.id : newDishId(), name, price_fen: p.fen };
    if (windows.length) d.windows = windows;
    if ($("m-off").checked) d.off = true;
    if (old) M.dishes[M.editing] = d; else M.dishes.push(d);
    M.dirty = true;
    M.editing = -1;
    $("m-form").hidden = true;
    menuSay(null);
    renderMenu();
  }

  function newDishId() {
    const used = new Set(M.dishes.map((d) => d.id));
    for (let n = M.dishes.length + 1; ; n++) {
      const id = "dish-" + n;
      if (!used.has(id)) return id;
    }
  }

  async function saveMenu() {
    if (!M.site) return menuSay("rNoSite", {}, true);
    $("m-save").disabled = true;
    try {
      const r = await call("PUT", "sites/" + encodeURIComponent(M.site) + "/menu", JSON.stringify({ dishes: M.dishes }), "application/json");
      if (!r.ok) return menuSay("mRefused", { msg: errText(r) }, true);
      M.menu = r.data.menu;
      M.dishes = JSON.parse(JSON.stringify(M.menu.dishes || []));
      M.dirty = false;
      const v = { v: M.menu.version, c: (r.data.commands || []).length };
      if (r.data.changed) menuSay("mSaved", v); else menuSay("mSame", v);
      renderMenu();
      const res = $("m-result");
      res.dataset.version = M.menu.version;
      res.dataset.commands = (r.data.commands || []).join(" ");
    } finally {
      $("m-save").disabled = false;
    }
  }

  function wireMenu() {
    const guard = (fn) => (...a) => Promise.resolve(fn(...a)).catch((e) => { if (e.message !== "unauthorized") say("m-result", t("netError"), true); });
    $("m-load").addEventListener("click", guard(loadMenu));
    $("m-site").addEventListener("change", guard(loadMenu));
    $("m-add").addEventListener("click", () => editDish(-1));
    $("m-form").addEventListener("submit", submitDish);
    $("m-form-cancel").addEventListener("click", () => { M.editing = -1; $("m-form").hidden = true; });
    $("m-save").addEventListener("click", guard(saveMenu));
  }

  async function showDashboard(me) {
    ME = me || await api("GET", "me");
    CSRF = ME.csrf_token || CSRF;
    $("login").hidden = true;
    showWho();
    if (ME.must_change_password) { showPasswordForm(true); return; }
    $("pw-section").hidden = true;
    await loadOrg().catch(() => {});
    $("tabs").hidden = false;
    pagesSignedIn();
    current = "";
    route();
    $("logout").hidden = false;
    refresh();
    streamBoard();
    if (!timer) timer = setInterval(refresh, 1000);
  }

  function logout(msg) {
    CSRF = "";
    localStorage.removeItem("eg.signedIn");
    pagesSignedOut();
    $("who").hidden = true;
    $("who").textContent = "";
    $("pw-open").hidden = true;
    $("pw-section").hidden = true;
    if (timer) { clearInterval(timer); timer = null; }
    stopStream();
    last.alerts = last.meals = last.gateways = last.org = "";
    $("dashboard").hidden = true;
    $("roster").hidden = true;
    $("reports").hidden = true;
    $("menu").hidden = true;
    M.menu = null;
    M.site = "";
    M.dishes = [];
    M.dirty = false;
    M.result = null;
    renderMenu();
    REP.report = null;
    SVC.report = null;
    SVC.units = null;
    renderReport();
    ST.report = null;
    renderSettlement();
    while ($("st-unit").options.length > 1) $("st-unit").remove(1); // the next token may have another scope
    RC.report = null;
    renderReconcile();
    while ($("rc-unit").options.length > 1) $("rc-unit").remove(1);
    Object.assign(CH, { funds: null, report: null, key: "", pub: null, pubs: [], qr: "" });
    renderCharity();
    while ($("ch-unit").options.length > 1) $("ch-unit").remove(1);
    RV.report = null;
    renderReview();
    while ($("rv-unit").options.length > 1) $("rv-unit").remove(1);
    $("care").hidden = true;
    CARE.list = null;
    CARE.target = null;
    CARE.rule = null;
    CARE.units = [];
    renderCare();
    $("care-rule-msg").textContent = "";
    $("tabs").hidden = true;
    $("logout").hidden = true;
    clearEnroll(); // never leave an enrollment token on a logged-out page
    $("login").hidden = false;
    const err = $("login-error");
    err.hidden = !msg;
    err.textContent = msg || "";
  }

  // Gateway creation. The answer holds the one-time enrollment token, its
  // link and the link as a QR code (qr_png, a data URI); they live only in
  // this page until the operator clicks "done", logs out or creates the
  // next gateway.
  let enrollment = null;
  const gwMsg = (k, v) => t(k).replace(/\{(\w+)\}/g, (m, n) => (v[n] !== undefined ? String(v[n]) : m));

  function renderEnroll() {
    const c = enrollment;
    if (!c) { $("gw-enroll").hidden = true; return; }
    $("gw-made").textContent = c.id + " · " + c.site;
    $("gw-token").textContent = c.token;
    $("gw-expires").textContent = when(c.expires_at);
    $("gw-link").textContent = c.enroll_url;
    $("gw-cmd").textContent = "eldergate-gateway enroll --cloud '" + c.enroll_url + "'";
    const img = $("gw-qr");
    img.alt = t("gwQRAlt");
    img.hidden = !c.qr_png;
    if (c.qr_png) img.src = c.qr_png; else img.removeAttribute("src");
    $("gw-enroll").hidden = false;
  }

  function clearEnroll() {
    enrollment = null;
    for (const id of ["gw-made", "gw-token", "gw-expires", "gw-link", "gw-cmd"]) $(id).textContent = "";
    $("gw-qr").removeAttribute("src");
    $("gw-enroll").hidden = true;
  }

  async function createGateway(ev) {
    ev.preventDefault();
    const err = $("gw-error"), btn = $("gw-create");
    const id = $("gw-id").value.trim(), site = $("gw-site").value.trim();
    err.hidden = true;
    clearEnroll();
    btn.disabled = true;
    try {
      const res = await fetch("/api/v1/gateways", {
        method: "POST",
        headers: authHeaders({ "Content-Type": "application/json" }),
        credentials: "same-origin",
        body: JSON.stringify({ id, site }),
        cache: "no-store",
      });
      if (res.status === 401) return logout(t("badToken"));
      const body = await res.json().catch(() => ({}));
      if (res.status !== 201) {
        const k = { 409: "gwExists", 403: "gwForbidden" }[res.status] || "gwFailed";
        err.textContent = gwMsg(k, { id, site, msg: body.error || String(res.status) });
        err.hidden = false;
        return;
      }
      enrollment = body;
      renderEnroll();
      $("gw-id").value = "";
      refresh();
    } catch (e) {
      err.textContent = t("netError");
      err.hidden = false;
    } finally {
      btn.disabled = false;
    }
  }

  // ---- Reports tab: the alarm response report of a month (viewers).
  // The downloads are fetched with the bearer token and saved from a Blob
  // (a plain link could not send the token).
  const REP = { report: null };
  const repMonth = () => $("rep-month").value;

  // thisMonth is the current month in the sites' zone (Asia/Shanghai), as
  // YYYY-MM.
  function thisMonth() {
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" }).format(new Date()).slice(0, 7);
    } catch (e) {
      const d = new Date();
      return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0");
    }
  }

  // mss shows whole seconds as m:ss ("—" when absent).
  const mss = (s) => {
    if (s === null || s === undefined) return "—";
    const n = Math.max(0, Math.trunc(Number(s)));
    return Math.floor(n / 60) + ":" + String(n % 60).padStart(2, "0");
  };
  const pctText = (p) => (p === null || p === undefined ? "—" : Number(p).toFixed(1) + "%");
  const repQuery = (format) => "reports/response?month=" + encodeURIComponent(repMonth()) + "&format=" + format + "&lang=" + encodeURIComponent(lang);

  function openReportsTab() {
    if (!repMonth()) $("rep-month").value = thisMonth();
    if (!REP.report || REP.report.month !== repMonth()) loadReport().catch(() => say("rep-note", t("netError"), true));
    else renderReport();
    openSettlement().catch((e) => { if (e.message !== "unauthorized") say("st-note", t("netError"), true); });
    openReconcile().catch((e) => { if (e.message !== "unauthorized") say("rc-note", t("netError"), true); });
    openReview().catch((e) => { if (e.message !== "unauthorized") say("rv-note", t("netError"), true); });
    openService().catch((e) => { if (e.message !== "unauthorized") say("svc-note", t("netError"), true); });
    openCharity().catch((e) => { if (e.message !== "unauthorized") say("ch-note", t("netError"), true); });
  }

  async function loadReport() {
    if (!repMonth()) return say("rep-note", t("repNoMonth"), true);
    say("rep-note", t("repLoading"));
    const r = await call("GET", repQuery("json"));
    if (!r.ok) { REP.report = null; renderReport(); return say("rep-note", fmt("rFailed", { msg: errText(r) }), true); }
    REP.report = r.data;
    renderReport();
  }

  function renderReport() {
    const tb = $("rep-rows");
    tb.replaceChildren();
    const rep = REP.report;
    if (!rep || !rep.total) { $("rep-note").textContent = ""; return; }
    const tot = rep.total;
    say("rep-note", fmt("repNote", { month: rep.month, tz: rep.time_zone, alarms: tot.alarms, open: tot.open,
      within: tot.acked_within_60s + "/" + tot.alarms, pct: pctText(tot.acked_within_60s_pct) }));
    for (const r of (rep.rows || []).concat([tot])) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "response-row";
      tr.dataset.level = r.level;
      tr.dataset.unit = r.unit;
      tr.className = "lv-" + r.level;
      cell(tr, r.level === "total" ? t("repTotal") : tk("lv_", r.level));
      cell(tr, r.level === "total" ? t("repTotal") : (r.name || r.unit) + (r.in_tree ? "" : t("repOutside")), "", "response-name");
      cell(tr, String(r.alarms), "num", "response-alarms");
      cell(tr, String(r.open), "num", "response-open");
      for (const k of ["ack_p50_s", "ack_p90_s", "ack_max_s", "resolve_p50_s", "resolve_p90_s", "resolve_max_s"]) cell(tr, mss(r[k]), "num", "response-" + k);
      cell(tr, r.acked_within_60s + "/" + r.alarms + " · " + pctText(r.acked_within_60s_pct), "num", "response-within");
      cell(tr, String(r.false_alarms), "num", "response-false");
      cell(tr, String(r.escalations), "num", "response-escalations");
      cell(tr, String(r.supervision), "num", "response-supervision");
      tb.appendChild(tr);
    }
  }

  // fetchFile GETs /api/v1/path (a CSV or XLSX download) and hands the
  // answer to the browser as a file named by its Content-Disposition, or
  // fallback. It answers "" when saved, else what went wrong in words;
  // every download of the console goes through here.
  async function fetchFile(path, fallback) {
    const res = await fetch("/api/v1/" + path, { headers: authHeaders(), credentials: "same-origin", cache: "no-store" });
    if (res.status === 401) { logout(t("badToken")); throw new Error("unauthorized"); }
    if (!res.ok) {
      let msg = "HTTP " + res.status;
      try { msg = (await res.json()).error || msg; } catch (e) { /* not JSON */ }
      return msg;
    }
    const m = /filename="([^"]+)"/.exec(res.headers.get("Content-Disposition") || "");
    saveBlob(await res.blob(), m ? m[1] : fallback);
    return "";
  }

  // saveBlob hands blob to the browser as a download named name (the
  // link is gone at once: a nameless link must not stay in the page).
  function saveBlob(blob, name) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    a.hidden = true;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  }

  // download fetches the report as format (csv or xlsx) with the token
  // and saves it under the server's file name.
  async function download(format, link, query = repQuery, note = "rep-note", month = repMonth, base = "alarm-response-") {
    if (!month()) return say(note, t("repNoMonth"), true);
    link.setAttribute("aria-disabled", "true");
    try {
      const msg = await fetchFile(query(format), base + month() + "." + format);
      if (msg) say(note, fmt("rFailed", { msg }), true);
    } catch (e) {
      if (e.message !== "unauthorized") say(note, t("netError"), true);
    } finally {
      link.removeAttribute("aria-disabled");
    }
  }

  // ---- Reports tab: the service statistics (服务人次) of a month and a
  // unit, with two charts drawn by Apache ECharts. ECharts is served by
  // the cloud itself (vendor/echarts.min.js, no CDN) and loaded only when
  // the tab is first opened.
  // The period is a month, an ISO week or a day: the input's type follows
  // the kind chosen (month, week, date), whose values are the API's
  // forms (2026-12, 2026-W48, 2026-11-23).
  const SVC = { report: null, units: null, charts: {} };
  const svcMonth = () => $("svc-month").value;
  const svcQuery = (format) => "reports/service?period=" + encodeURIComponent(svcMonth()) +
    ($("svc-unit").value ? "&unit=" + encodeURIComponent($("svc-unit").value) : "") +
    "&format=" + format + "&lang=" + encodeURIComponent(lang);
  let echartsLoading = null;
  function loadECharts() {
    if (window.echarts) return Promise.resolve(window.echarts);
    if (!echartsLoading) {
      echartsLoading = new Promise((resolve, reject) => {
        const el = document.createElement("script");
        el.src = "vendor/echarts.min.js";
        el.onload = () => resolve(window.echarts);
        el.onerror = () => { echartsLoading = null; reject(new Error("echarts")); };
        document.head.appendChild(el);
      });
    }
    return echartsLoading;
  }

  // svcDefault is the current month, ISO week or day in the sites' zone.
  function svcDefault(kind) {
    if (kind === "month") return thisMonth();
    let today;
    try {
      today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
    } catch (e) {
      today = new Date().toISOString().slice(0, 10);
    }
    if (kind === "date") return today;
    const d = new Date(today + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + 3 - ((d.getUTCDay() + 6) % 7)); // the week's Thursday names its year
    const jan4 = new Date(Date.UTC(d.getUTCFullYear(), 0, 4));
    const week = 1 + Math.round(((d - jan4) / 86400000 - 3 + ((jan4.getUTCDay() + 6) % 7)) / 7);
    return d.getUTCFullYear() + "-W" + String(week).padStart(2, "0");
  }

  function setSvcKind(kind) {
    const input = $("svc-month");
    if (input.type !== kind) {
      input.type = kind;
      input.value = svcDefault(kind);
    }
  }

  async function openService() {
    if (!svcMonth()) $("svc-month").value = svcDefault($("svc-month").type);
    if (!SVC.units) {
      const r = await call("GET", "org");
      if (r.ok) {
        SVC.units = r.data || [];
        fillUnits();
      }
    }
    if (!SVC.report || SVC.report.period.key !== svcMonth()) await loadService();
    else renderService();
  }

  function fillUnits() {
    const sel = $("svc-unit");
    const keep = sel.value;
    sel.replaceChildren();
    const all = document.createElement("option");
    all.value = "";
    all.textContent = t("svcAll");
    sel.appendChild(all);
    for (const u of SVC.units || []) {
      const o = document.createElement("option");
      o.value = u.id;
      const depth = Math.max(0, (u.path || "").split("/").length - 3);
      o.textContent = "\u3000".repeat(depth) + u.name + "（" + tk("lv_", u.level) + "）";
      sel.appendChild(o);
    }
    sel.value = keep;
  }

  async function loadService() {
    if (!svcMonth()) return say("svc-note", t("repNoMonth"), true);
    say("svc-note", t("repLoading"));
    const r = await call("GET", svcQuery("json"));
    if (!r.ok) { SVC.report = null; renderService(); return say("svc-note", fmt("rFailed", { msg: errText(r) }), true); }
    SVC.report = r.data;
    renderService();
  }

  const winName = (w) => tk("w_", w);
  // periodText names a report's period: "2026-12", "2026-W48（11-23 — 11-29）".
  const periodText = (rep) => rep.period.kind === "week" ? rep.period.key + "（" + rep.first_day.slice(5) + " — " + rep.last_day.slice(5) + "）" : rep.period.key;

  function renderService() {
    const head = $("svc-head");
    const tb = $("svc-rows");
    head.replaceChildren();
    tb.replaceChildren();
    if (SVC.units) fillUnits();
    const rep = SVC.report;
    if (!rep || !rep.total) { $("svc-note").textContent = ""; drawCharts(null); return; }
    const wins = rep.windows || [];
    for (const h of [t("level"), t("name"), t("svcMeals"), t("svcElders"), t("svcRoster"), t("svcCoverage")].concat(wins.map(winName))) {
      const th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    }
    const tot = rep.total;
    say("svc-note", fmt("svcNote", { month: periodText(rep), meals: tot.meals, elders: tot.elders, roster: tot.roster, pct: pctText(tot.coverage_pct) }) +
      (tot.meals === 0 ? " " + t("svcNoData") : ""));
    for (const r of (rep.rows || []).concat([tot])) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "service-row";
      tr.dataset.level = r.level;
      tr.dataset.unit = r.unit;
      tr.className = "lv-" + r.level;
      cell(tr, r.level === "total" ? t("repTotal") : tk("lv_", r.level));
      cell(tr, r.level === "total" ? t("repTotal") : (r.name || r.unit) + (r.in_tree ? "" : t("repOutside")), "", "service-name");
      cell(tr, String(r.meals), "num", "service-meals");
      cell(tr, String(r.elders), "num", "service-elders");
      cell(tr, String(r.roster), "num", "service-roster");
      cell(tr, pctText(r.coverage_pct), "num", "service-coverage");
      for (const w of wins) cell(tr, String((r.by_window || {})[w] || 0), "num", "service-window-" + w);
      tb.appendChild(tr);
    }
    const wk = $("svc-weeks");
    wk.replaceChildren();
    for (const w of rep.weekly || []) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "service-week";
      cell(tr, w.week, "", "service-week-key");
      cell(tr, w.first_day.slice(5) + " — " + w.last_day.slice(5));
      cell(tr, String(w.meals), "num", "service-week-meals");
      cell(tr, String(w.elders), "num", "service-week-elders");
      wk.appendChild(tr);
    }
    loadECharts().then(() => drawCharts(rep)).catch(() => say("svc-note", t("netError"), true));
  }

  function chart(id) {
    if (!window.echarts) return null;
    const el = $(id);
    let c = SVC.charts[id];
    if (!c || c.isDisposed()) c = SVC.charts[id] = window.echarts.init(el, null, { renderer: "canvas" });
    return c;
  }

  function drawCharts(rep) {
    const daily = chart("svc-daily");
    const wins = chart("svc-windows");
    if (!daily || !wins) return;
    if (!rep) { daily.clear(); wins.clear(); return; }
    const days = (rep.daily || []).map((d) => d.day.slice(8));
    $("svc-daily").setAttribute("aria-label", t("svcDailyChart") + " " + periodText(rep) + ": " + fmt("svcNote", { month: periodText(rep), meals: rep.total.meals, elders: rep.total.elders, roster: rep.total.roster, pct: pctText(rep.total.coverage_pct) }));
    daily.setOption({
      animation: false,
      color: ["#24527a", "#c0562b"],
      tooltip: { trigger: "axis" },
      legend: { data: [t("svcMeals"), t("svcElders")], top: 0 },
      grid: { left: 48, right: 48, top: 32, bottom: 28 },
      xAxis: { type: "category", data: days },
      yAxis: [{ type: "value", name: t("svcMeals"), minInterval: 1 }, { type: "value", name: t("svcElders"), minInterval: 1 }],
      series: [
        { name: t("svcMeals"), type: "bar", data: (rep.daily || []).map((d) => d.meals) },
        { name: t("svcElders"), type: "line", yAxisIndex: 1, data: (rep.daily || []).map((d) => d.elders) },
      ],
    }, true);
    const ws = rep.windows || [];
    $("svc-windows").setAttribute("aria-label", t("svcWindowChart") + ": " + ws.map((w) => winName(w) + " " + (rep.total.by_window || {})[w]).join("，"));
    wins.setOption({
      animation: false,
      color: ["#24527a"],
      tooltip: { trigger: "axis" },
      grid: { left: 48, right: 16, top: 28, bottom: 28 },
      xAxis: { type: "category", data: ws.map(winName) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: t("svcMeals"), type: "bar", data: ws.map((w) => (rep.total.by_window || {})[w] || 0), label: { show: true, position: "top" } }],
    }, true);
  }

  function wireService() {
    const guard = (fn) => () => fn().catch((e) => { if (e.message !== "unauthorized") say("svc-note", t("netError"), true); });
    $("svc-load").addEventListener("click", guard(loadService));
    $("svc-month").addEventListener("change", guard(loadService));
    $("svc-unit").addEventListener("change", guard(loadService));
    $("svc-kind").addEventListener("change", () => { setSvcKind($("svc-kind").value); guard(loadService)(); });
    $("svc-csv").addEventListener("click", (ev) => { ev.preventDefault(); if (svcMonth()) download("csv", $("svc-csv"), svcQuery, "svc-note", svcMonth, "service-statistics-"); });
    $("svc-xlsx").addEventListener("click", (ev) => { ev.preventDefault(); if (svcMonth()) download("xlsx", $("svc-xlsx"), svcQuery, "svc-note", svcMonth, "service-statistics-"); });
    window.addEventListener("resize", () => { for (const c of Object.values(SVC.charts)) if (!c.isDisposed()) c.resize(); });
  }

  // ---- Reports tab: the monthly settlement (核销) of a unit. The figures
  // on the page are the JSON's, as the CSV and XLSX carry them (yuan with
  // two decimals).
  const ST = { report: null, key: "", confirm: false };
  const stMonth = () => $("st-month").value;
  const stQuery = (format) => "reports/settlement?month=" + encodeURIComponent(stMonth()) +
    ($("st-unit").value ? "&unit=" + encodeURIComponent($("st-unit").value) : "") + "&format=" + format + "&lang=" + encodeURIComponent(lang);

  async function openSettlement() {
    if (!stMonth()) $("st-month").value = thisMonth();
    if ($("st-unit").options.length <= 1) {
      const org = await api("GET", "org");
      for (const u of (org || []).filter((u) => u.level !== "site")) {
        const o = document.createElement("option");
        o.value = u.id;
        o.textContent = tk("lv_", u.level) + " · " + u.name;
        $("st-unit").appendChild(o);
      }
    }
    if (!ST.report || ST.key !== stQuery("json")) await loadSettlement();
    else renderSettlement();
  }

  async function loadSettlement() {
    if (!stMonth()) return say("st-note", t("repNoMonth"), true);
    say("st-note", t("repLoading"));
    const q = stQuery("json");
    ST.confirm = false;
    const r = await call("GET", q);
    if (!r.ok) { ST.report = null; renderSettlement(); return say("st-note", fmt("rFailed", { msg: errText(r) }), true); }
    ST.report = r.data;
    ST.key = q;
    renderSettlement();
  }

  // The columns of the settlement table: [header key or text, value of a row, testid].
  function stColumns(rep) {
    const cols = [
      [t("stMeals"), (r) => String(r.meals), "meals"], [t("stSubsidised"), (r) => String(r.subsidised), "subsidised"],
      [t("stPrice"), (r) => yuanPlain(r.price_fen), "price"], [t("stPay"), (r) => yuanPlain(r.pay_fen), "pay"],
      [t("stSubsidy"), (r) => yuanPlain(r.subsidy_fen), "subsidy"],
    ];
    for (const l of rep.layers || []) cols.push([fmt("stLayer", { layer: tk("ly_", l) }), (r) => yuanPlain((r.funding || {})[l] || 0), "layer-" + l]);
    cols.push([t("stOutside"), (r) => String(r.outside_meals), "outside"], [t("stOutsideFen"), (r) => yuanPlain(r.outside_fen), "outside-fen"],
      [t("stOperating"), (r) => yuanPlain(r.operating_fen), "operating"], [t("stDiscount"), (r) => yuanPlain(r.discount_fen), "discount"],
      [t("stManual"), (r) => String(r.manual), "manual"], [t("stVoids"), (r) => String(r.voids), "voids"],
      [t("stVoidPrice"), (r) => yuanPlain(r.void_price_fen), "void-price"]);
    return cols;
  }

  function renderSettlement() {
    const head = $("st-head"), tb = $("st-rows");
    head.replaceChildren();
    tb.replaceChildren();
    const rep = ST.report;
    renderStatement(rep && rep.total ? rep : null);
    renderAdjustments(rep && rep.total ? rep : null);
    if (!rep || !rep.total) { $("st-note").textContent = ""; drawSettlementChart(null); return; }
    const tot = rep.total;
    say("st-note", fmt("stNote", { month: rep.month, tz: rep.time_zone, meals: tot.meals, subsidy: yuanPlain(tot.subsidy_fen),
      pay: yuanPlain(tot.pay_fen), voids: tot.voids }));
    const cols = stColumns(rep);
    for (const h of [t("stLevel"), t("stName")].concat(cols.map((c) => c[0]))) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      head.appendChild(th);
    }
    for (const r of (rep.rows || []).concat([tot])) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "settlement-row";
      tr.dataset.level = r.level;
      tr.dataset.unit = r.unit;
      tr.className = "lv-" + r.level;
      cell(tr, r.level === "total" ? t("repTotal") : tk("lv_", r.level));
      cell(tr, r.level === "total" ? t("repTotal") : (r.name || r.unit) + (r.in_tree ? "" : t("repOutside")), "", "settlement-name");
      for (const c of cols) cell(tr, c[1](r), "num", "settlement-" + c[2]);
      tb.appendChild(tr);
    }
    loadECharts().then(() => drawSettlementChart(rep)).catch(() => say("st-note", t("netError"), true));
  }

  // drawSettlementChart draws, per site, the subsidy each funding layer
  // owes (stacked) beside what the elders paid, in yuan: the table's
  // figures, from the same report.
  function drawSettlementChart(rep) {
    const c = chart("st-chart");
    if (!c) return;
    if (!rep || !rep.total) { c.clear(); return; }
    const sites = (rep.rows || []).filter((r) => r.level === "site");
    const layers = rep.layers || [];
    const name = (l) => fmt("stLayer", { layer: tk("ly_", l) });
    $("st-chart").setAttribute("aria-label", t("stChart") + " " + rep.month + ": " +
      layers.map((l) => name(l) + " " + yuanPlain((rep.total.funding || {})[l] || 0)).concat([t("stPay") + " " + yuanPlain(rep.total.pay_fen)]).join("，"));
    c.setOption({
      animation: false,
      color: ["#24527a", "#5b8db8", "#8fb8d8", "#2e7d32", "#6d6d6d"],
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: layers.map(name).concat([t("stPay")]) },
      grid: { left: 56, right: 16, top: 36, bottom: 28, containLabel: true },
      xAxis: { type: "category", data: sites.map((r) => r.name || r.unit) },
      yAxis: { type: "value", name: t("stYuan") },
      series: layers.map((l) => ({ name: name(l), type: "bar", stack: "subsidy", data: sites.map((r) => ((r.funding || {})[l] || 0) / 100) }))
        .concat([{ name: t("stPay"), type: "bar", itemStyle: { color: "#c0562b" }, data: sites.map((r) => r.pay_fen / 100) }]),
    }, true);
  }

  // The month's state: open, closed for the unit (its statement: number,
  // who, when, SHA-256; the figures are the stored ones), or closed with a
  // parent unit's statement; admins close an ended open month after a
  // confirm step.
  const stUnitLabel = () => { const o = $("st-unit").selectedOptions[0]; return o ? o.textContent : ""; };
  const stWhen = (iso, tz) => {
    try {
      return new Intl.DateTimeFormat(lang, { timeZone: tz || "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false }).format(new Date(iso));
    } catch (e) { return iso; }
  };
  function renderStatement(rep) {
    const st = rep && (rep.statement || rep.covered_by);
    $("st-close").dataset.state = !rep ? "none" : rep.statement ? "closed" : rep.covered_by ? "covered" : "open";
    $("st-close").hidden = !rep;
    $("st-hash").hidden = !st;
    $("st-bytes").hidden = !rep || !rep.statement;
    const canClose = !!rep && !st && !!ME && ME.role === "admin" && rep.month < thisMonth();
    $("st-close-btn").hidden = !canClose;
    $("st-confirm").hidden = !(canClose && ST.confirm);
    if (!rep) return;
    if (st) {
      $("st-status").textContent = fmt(rep.statement ? "stClosed" : "stCovered",
        { month: rep.month, number: st.number, by: st.closed_by, at: stWhen(st.closed_at, st.time_zone), tz: st.time_zone });
      $("st-hash").textContent = fmt("stSha", { sha: st.sha256 });
    } else {
      $("st-status").textContent = fmt(rep.month < thisMonth() ? "stOpen" : "stOpenNotEnded", { month: rep.month });
    }
    if (canClose && ST.confirm) $("st-confirm-text").textContent = fmt("stConfirm", { unit: stUnitLabel(), month: rep.month });
  }

  async function closeSettlement() {
    const r = await call("POST", "reports/settlement/close", JSON.stringify({ month: stMonth(), unit: $("st-unit").value }), "application/json");
    ST.confirm = false;
    if (!r.ok) { renderStatement(ST.report); return say("st-note", fmt("stCloseFailed", { msg: errText(r) }), true); }
    await loadSettlement();
    say("st-note", fmt("stClosedOK", { number: r.data.number }));
  }

  // The adjustments: one line per late event with its original date, their
  // total, the month's total and the grand total the district pays.
  function renderAdjustments(rep) {
    const head = $("st-adj-head"), tb = $("st-adj-rows");
    head.replaceChildren();
    tb.replaceChildren();
    const adj = (rep && rep.adjustments) || [];
    $("st-adj-title").hidden = !rep;
    $("st-adj-none").hidden = !rep || adj.length > 0;
    $("st-adj-scroll").hidden = adj.length === 0;
    if (!adj.length) return;
    const cols = [[t("stMeals"), (r) => String(r.meals), "meals"], [t("stPrice"), (r) => yuanPlain(r.price_fen), "price"],
      [t("stPay"), (r) => yuanPlain(r.pay_fen), "pay"], [t("stSubsidy"), (r) => yuanPlain(r.subsidy_fen), "subsidy"]];
    for (const l of rep.layers || []) cols.push([fmt("stLayer", { layer: tk("ly_", l) }), (r) => yuanPlain((r.funding || {})[l] || 0), "layer-" + l]);
    cols.push([t("stOperating"), (r) => yuanPlain(r.operating_fen), "operating"]);
    for (const h of [t("stAdjKind"), t("stAdjDay"), t("stAdjSite")].concat(cols.map((c) => c[0]))) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      head.appendChild(th);
    }
    const line = (r, kind, day, name, level) => {
      const tr = document.createElement("tr");
      tr.dataset.testid = "settlement-adj-row";
      tr.dataset.level = level;
      if (r.kind) tr.dataset.kind = r.kind;
      tr.className = "lv-" + level;
      cell(tr, kind);
      cell(tr, day, "", "settlement-adj-day");
      cell(tr, name);
      for (const c of cols) cell(tr, c[1](r), "num", "settlement-adj-" + c[2]);
      tb.appendChild(tr);
    };
    for (const a of adj) line(a, tk("adj_", a.kind), a.day, a.name || a.site, "adjustment");
    line(rep.adjustment_total, t("stAdjTotal"), "", "", "adjustment_total");
    line(rep.total, t("repTotal"), "", "", "total");
    line(rep.grand_total, t("stGrandTotal"), "", "", "grand_total");
  }

  function wireReports() {
    const guard = (fn) => () => fn().catch((e) => { if (e.message !== "unauthorized") say("rep-note", t("netError"), true); });
    $("rep-load").addEventListener("click", guard(loadReport));
    $("rep-month").addEventListener("change", guard(loadReport));
    $("rep-csv").addEventListener("click", (ev) => { ev.preventDefault(); download("csv", $("rep-csv")); });
    $("rep-xlsx").addEventListener("click", (ev) => { ev.preventDefault(); download("xlsx", $("rep-xlsx")); });
    const stGuard = (fn) => () => fn().catch((e) => { if (e.message !== "unauthorized") say("st-note", t("netError"), true); });
    $("st-load").addEventListener("click", stGuard(loadSettlement));
    $("st-month").addEventListener("change", stGuard(loadSettlement));
    $("st-unit").addEventListener("change", stGuard(loadSettlement));
    for (const f of ["csv", "xlsx"]) {
      $("st-" + f).addEventListener("click", (ev) => { ev.preventDefault(); download(f, $("st-" + f), stQuery, "st-note", stMonth, "settlement-"); });
    }
    $("st-close-btn").addEventListener("click", () => { ST.confirm = true; renderStatement(ST.report); $("st-confirm-yes").focus(); });
    $("st-confirm-no").addEventListener("click", () => { ST.confirm = false; renderStatement(ST.report); $("st-close-btn").focus(); });
    $("st-confirm-yes").addEventListener("click", stGuard(closeSettlement));
    $("st-bytes").addEventListener("click", (ev) => {
      ev.preventDefault();
      const st = ST.report && ST.report.statement;
      if (st) download("json", $("st-bytes"), () => "reports/statements/" + encodeURIComponent(st.number), "st-note", stMonth, "");
    });
    const rcGuard = (fn) => () => fn().catch((e) => { if (e.message !== "unauthorized") say("rc-note", t("netError"), true); });
    $("rc-load").addEventListener("click", rcGuard(loadReconcile));
    $("rc-month").addEventListener("change", rcGuard(loadReconcile));
    $("rc-unit").addEventListener("change", rcGuard(loadReconcile));
    for (const f of ["csv", "xlsx"]) {
      $("rc-" + f).addEventListener("click", (ev) => { ev.preventDefault(); download(f, $("rc-" + f), rcQuery, "rc-note", rcMonth, "reconciliation-"); });
    }
  }

  // ---- Reports tab: the reconciliation of a unit's month: the meals whose
  // re-decision by the cloud differs from their gateway's, with the
  // difference per funding layer (docs/reconciliation.md).
  const RC = { report: null, key: "" };
  const rcMonth = () => $("rc-month").value;
  const rcQuery = (format) => "reports/reconciliation?month=" + encodeURIComponent(rcMonth()) +
    ($("rc-unit").value ? "&unit=" + encodeURIComponent($("rc-unit").value) : "") + "&format=" + format + "&lang=" + encodeURIComponent(lang);
  // yuanSigned is a signed amount in yuan with two decimals ("-3.00").
  const yuanSigned = (fen) => (fen < 0 ? "-" : "") + yuanPlain(Math.abs(fen));

  async function openReconcile() {
    if (!rcMonth()) $("rc-month").value = thisMonth();
    if ($("rc-unit").options.length <= 1) {
      const org = await api("GET", "org");
      for (const u of (org || []).filter((u) => u.level !== "site")) {
        const o = document.createElement("option");
        o.value = u.id;
        o.textContent = tk("lv_", u.level) + " · " + u.name;
        $("rc-unit").appendChild(o);
      }
    }
    if (!RC.report || RC.key !== rcQuery("json")) await loadReconcile();
    else renderReconcile();
  }

  async function loadReconcile() {
    if (!rcMonth()) return say("rc-note", t("repNoMonth"), true);
    say("rc-note", t("repLoading"));
    const q = rcQuery("json");
    const r = await call("GET", q);
    if (!r.ok) { RC.report = null; renderReconcile(); return say("rc-note", fmt("rFailed", { msg: errText(r) }), true); }
    RC.report = r.data;
    RC.key = q;
    renderReconcile();
  }

  // rcReason says why a listed meal differs, as the table's download does.
  function rcReason(l) {
    if (l.cloud.limit && l.cloud.limit !== l.gateway.reason) return fmt("rcLimit", { limit: l.cloud.limit });
    if (l.gateway.reason === "usage_stale") return t("rcStale");
    return l.gateway.reason + " → " + l.cloud.reason;
  }

  function renderReconcile() {
    const head = $("rc-head"), tb = $("rc-rows"), sk = $("rc-skipped");
    head.replaceChildren();
    tb.replaceChildren();
    sk.replaceChildren();
    const rep = RC.report;
    if (!rep || !rep.differences) { $("rc-note").textContent = ""; return; }
    say("rc-note", fmt("rcNote", { month: rep.month, tz: rep.time_zone, meals: rep.meals, compared: rep.compared,
      diff: rep.differences.length, subsidy: yuanSigned(rep.subsidy_diff_fen), skipped: rep.not_redecidable.length,
      voided: rep.voided, reader: rep.refused_at_reader }));
    const totals = rep.totals || [];
    const layerHead = (d) => fmt("rcDiff", { layer: tk("ly_", d.layer) + (d.code ? " " + d.code : "") });
    const heads = [fmt("rcTimeIn", { tz: rep.time_zone }), t("rcSite"), t("rcElder"), t("rcWindow"), t("rcGateway"), t("rcCloud")]
      .concat(totals.map(layerHead), [t("rcSubsidyDiff"), t("rcOperatingDiff"), t("rcPayDiff"), t("rcWhy")]);
    for (const h of heads) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = h;
      head.appendChild(th);
    }
    const side = (s) => tk("d_", s.decision) + " · " + yuanPlain(s.subsidy_fen);
    for (const l of rep.differences) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "reconcile-row";
      tr.dataset.event = l.event_id;
      // The time in the site's zone, named when it is not the report's.
      cell(tr, l.local + (l.time_zone === rep.time_zone ? "" : " (" + l.time_zone + ")"), "", "reconcile-time");
      cell(tr, l.site_name || l.site, "", "reconcile-site");
      cell(tr, l.elder, "", "reconcile-elder");
      cell(tr, tk("w_", l.window), "", "reconcile-window");
      cell(tr, side(l.gateway), "", "reconcile-gateway");
      cell(tr, side(l.cloud), "", "reconcile-cloud");
      for (const d of totals) {
        const x = (l.layers || []).find((y) => y.layer === d.layer && y.code === d.code);
        cell(tr, yuanSigned(x ? x.fen : 0), "num", "reconcile-layer-" + d.layer);
      }
      cell(tr, yuanSigned(l.subsidy_diff_fen), "num", "reconcile-subsidy");
      cell(tr, yuanSigned(l.operating_diff_fen), "num", "reconcile-operating");
      cell(tr, yuanSigned(l.pay_diff_fen), "num", "reconcile-pay");
      cell(tr, rcReason(l), "", "reconcile-reason");
      tb.appendChild(tr);
    }
    if (!rep.differences.length) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "reconcile-empty";
      cell(tr, t("rcNone")).colSpan = heads.length;
      tb.appendChild(tr);
    } else {
      const tr = document.createElement("tr");
      tr.dataset.testid = "reconcile-total";
      tr.className = "lv-total";
      cell(tr, t("repTotal"));
      for (let i = 1; i < 6; i++) cell(tr, "");
      for (const d of totals) cell(tr, yuanSigned(d.fen), "num", "reconcile-total-" + d.layer);
      cell(tr, yuanSigned(rep.subsidy_diff_fen), "num", "reconcile-total-subsidy");
      cell(tr, yuanSigned(rep.operating_diff_fen), "num", "reconcile-total-operating");
      cell(tr, yuanSigned(rep.pay_diff_fen), "num", "reconcile-total-pay");
      cell(tr, "");
      tb.appendChild(tr);
    }
    for (const x of rep.not_redecidable) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "reconcile-skip-row";
      cell(tr, x.local);
      cell(tr, x.site_name || x.site);
      cell(tr, x.elder);
      cell(tr, x.policy_version || "—");
      cell(tr, tk("d_", x.decision) + " · " + yuanPlain(x.subsidy_fen));
      cell(tr, tk("rs_", x.reason), "", "reconcile-skip-reason");
      sk.appendChild(tr);
    }
    if (!rep.not_redecidable.length) {
      const tr = document.createElement("tr");
      cell(tr, t("rcNoSkip")).colSpan = 6;
      sk.appendChild(tr);
    }
  }

  // ---- Reports tab: where a charity fund's money went (docs/charity.md):
  // the detail of a fund's month for the unit, publishing its public
  // summary, and the public page's link and QR code.
  const CH = { funds: null, report: null, key: "", pub: null, pubs: [], qr: "" };
  const chMonth = () => $("ch-month").value;
  const chQuery = (format) => "reports/charity?fund=" + encodeURIComponent($("ch-fund").value) + "&month=" + encodeURIComponent(chMonth()) +
    ($("ch-unit").value ? "&unit=" + encodeURIComponent($("ch-unit").value) : "") + "&format=" + format + "&lang=" + encodeURIComponent(lang);
  const fundName = (f) => (f && f.names ? (f.names[lang] || f.names["zh-CN"] || f.id) : "");

  async function openCharity() {
    if (!chMonth()) $("ch-month").value = thisMonth();
    if (!CH.funds) {
      const r = await call("GET", "charity/funds");
      CH.funds = r.ok && Array.isArray(r.data) ? r.data : [];
      fillFunds();
    }
    if ($("ch-unit").options.length <= 1) {
      const org = await api("GET", "org");
      for (const u of (org || []).filter((u) => u.level !== "site")) {
        const o = document.createElement("option");
        o.value = u.id;
        o.textContent = tk("lv_", u.level) + " · " + u.name;
        $("ch-unit").appendChild(o);
      }
    }
    if (!CH.funds.length) { renderCharity(); return say("ch-note", t("chNoFund")); }
    if (!CH.report || CH.key !== chQuery("json")) await loadCharity();
    else renderCharity();
    await loadPubs();
  }

  function fillFunds() {
    const sel = $("ch-fund"), keep = sel.value;
    sel.replaceChildren();
    for (const f of CH.funds || []) {
      const o = document.createElement("option");
      o.value = f.id;
      o.textContent = fundName(f);
      sel.appendChild(o);
    }
    if (keep) sel.value = keep;
  }

  async function loadCharity() {
    if (!$("ch-fund").value) return say("ch-note", t("chNoFund"));
    if (!chMonth()) return say("ch-note", t("repNoMonth"), true);
    say("ch-note", t("repLoading"));
    const q = chQuery("json");
    const r = await call("GET", q);
    if (!r.ok) { CH.report = null; renderCharity(); return say("ch-note", fmt("rFailed", { msg: errText(r) }), true); }
    CH.report = r.data;
    CH.key = q;
    renderCharity();
  }

  function renderCharity() {
    fillFunds();
    const sites = $("ch-sites"), elders = $("ch-elders"), days = $("ch-days");
    sites.replaceChildren();
    elders.replaceChildren();
    days.replaceChildren();
    renderPub();
    renderPubs();
    const rep = CH.report;
    if (!rep || !rep.fund) return;
    say("ch-note", fmt("chNote", { fund: fundName(rep), month: rep.month, tz: rep.time_zone, meals: rep.meals, elders: rep.elders,
      yuan: yuanPlain(rep.fen), voids: rep.voids }));
    for (const s of rep.sites || []) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "charity-site";
      cell(tr, s.name + (s.in_tree ? "" : t("repOutside")), "", "charity-site-name");
      cell(tr, s.district || "—", "", "charity-site-district");
      cell(tr, String(s.meals), "num", "charity-site-meals");
      cell(tr, String(s.elders), "num", "charity-site-elders");
      cell(tr, yuanPlain(s.fen), "num", "charity-site-yuan");
      sites.appendChild(tr);
    }
    const tot = document.createElement("tr");
    tot.className = "lv-total";
    tot.dataset.testid = "charity-total";
    cell(tot, t("repTotal"));
    cell(tot, "");
    cell(tot, String(rep.meals), "num", "charity-total-meals");
    cell(tot, String(rep.elders), "num", "charity-total-elders");
    cell(tot, yuanPlain(rep.fen), "num", "charity-total-yuan");
    sites.appendChild(tot);
    for (const e of rep.elder_lines || []) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "charity-elder";
      cell(tr, e.id, "", "charity-elder-id");
      cell(tr, e.name || "—", "", "charity-elder-name");
      cell(tr, String(e.meals), "num");
      cell(tr, yuanPlain(e.fen), "num");
      cell(tr, (e.sites || []).join("、"));
      elders.appendChild(tr);
    }
    if (!(rep.elder_lines || []).length) emptyRow(elders, 5);
    for (const d of rep.days || []) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "charity-day";
      cell(tr, d.day);
      cell(tr, String(d.meals), "num");
      cell(tr, String(d.elders), "num");
      cell(tr, yuanPlain(d.fen), "num");
      days.appendChild(tr);
    }
    if (!(rep.days || []).length) emptyRow(days, 4);
  }

  async function publishCharity() {
    if (!$("ch-fund").value) return say("ch-note", t("chNoFund"));
    if (!chMonth()) return say("ch-note", t("repNoMonth"), true);
    const btn = $("ch-publish");
    btn.disabled = true;
    say("ch-note", t("chPublishing"));
    try {
      const body = { fund: $("ch-fund").value, month: chMonth() };
      if ($("ch-unit").value) body.unit = $("ch-unit").value;
      const r = await call("POST", "charity/publications", JSON.stringify(body), "application/json");
      if (!r.ok) return say("ch-note", fmt("rFailed", { msg: errText(r) }), true);
      CH.pub = r.data;
      CH.qr = r.data.qr_png || "";
      renderPub();
      const f = (CH.funds || []).find((x) => x.id === r.data.fund);
      say("ch-note", fmt("chPublished", { fund: fundName(f) || r.data.fund, month: r.data.month }));
      await loadPubs();
    } finally {
      btn.disabled = false;
    }
  }

  // showQR fetches a listed publication's QR code with the token (an
  // <img> cannot send it) and shows it as a data: URI.
  async function showQR(p) {
    const res = await fetch("/api/v1/charity/publications/" + encodeURIComponent(p.id) + "/qr.png", { headers: authHeaders(), cache: "no-store" });
    if (res.status === 401) { logout(t("badToken")); return; }
    if (!res.ok) return say("ch-note", fmt("rFailed", { msg: "HTTP " + res.status }), true);
    const blob = await res.blob();
    CH.qr = await new Promise((resolve) => { const fr = new FileReader(); fr.onload = () => resolve(fr.result); fr.readAsDataURL(blob); });
    CH.pub = p;
    renderPub();
  }

  function renderPub() {
    const p = CH.pub;
    $("ch-pub").hidden = !p;
    if (!p) return;
    $("ch-qr").src = CH.qr;
    $("ch-qr").alt = fmt("chQRAlt", { url: p.url });
    $("ch-link").href = p.url;
    $("ch-link").textContent = p.url;
    $("ch-sha").textContent = p.sha256;
  }

  async function loadPubs() {
    const fund = $("ch-fund").value;
    if (!fund) { CH.pubs = []; return renderPubs(); }
    const r = await call("GET", "charity/publications?fund=" + encodeURIComponent(fund));
    CH.pubs = r.ok && Array.isArray(r.data) ? r.data : [];
    renderPubs();
  }

  function renderPubs() {
    const ul = $("ch-pubs");
    ul.replaceChildren();
    for (const p of CH.pubs) {
      const li = document.createElement("li");
      li.dataset.testid = "charity-pub";
      const a = document.createElement("a");
      a.href = p.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      const u = $("ch-unit").querySelector('option[value="' + CSS.escape(p.unit) + '"]');
      a.textContent = fmt("chPubLine", { month: p.month, unit: p.unit ? (u ? u.textContent : p.unit) : t("stAllUnits"), at: when(p.published_at), by: p.published_by });
      li.appendChild(a);
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t("chShowQR");
      b.dataset.testid = "charity-pub-qr";
      b.addEventListener("click", () => showQR(p).catch(() => say("ch-note", t("netError"), true)));
      li.append(" ", b);
      ul.appendChild(li);
    }
    if (!CH.pubs.length) {
      const li = document.createElement("li");
      li.textContent = t("chNoPubs");
      ul.appendChild(li);
    }
  }

  function wireCharity() {
    const guard = (fn) => () => fn().catch((e) => { if (e.message !== "unauthorized") say("ch-note", t("netError"), true); });
    const reload = async () => { CH.pub = null; await loadCharity(); await loadPubs(); };
    $("ch-load").addEventListener("click", guard(reload));
    $("ch-month").addEventListener("change", guard(reload));
    $("ch-unit").addEventListener("change", guard(reload));
    $("ch-fund").addEventListener("change", guard(reload));
    $("ch-publish").addEventListener("click", guard(publishCharity));
    for (const f of ["csv", "xlsx"]) {
      $("ch-" + f).addEventListener("click", (ev) => { ev.preventDefault(); download(f, $("ch-" + f), chQuery, "ch-note", chMonth, "charity-"); });
    }
  }

  // ---- Reports tab: the items to review (防冒领) of a unit, grouped by
  // kind with their counts; each item opens on the meals behind it. The
  // facts of an item are worded by the server in the page's language
  // (lang=), the kind names here (docs/review.md).
  const RV = { report: null, key: "" };
  const rvMonth = () => $("rv-month").value;
  const rvQuery = (format) => "reports/review?month=" + encodeURIComponent(rvMonth()) +
    ($("rv-unit").value ? "&unit=" + encodeURIComponent($("rv-unit").value) : "") + "&format=" + format + "&lang=" + encodeURIComponent(lang);

  async function openReview() {
    if (!rvMonth()) $("rv-month").value = thisMonth();
    if ($("rv-unit").options.length <= 1) {
      const org = await api("GET", "org");
      for (const u of (org || []).filter((u) => u.level !== "site")) {
        const o = document.createElement("option");
        o.value = u.id;
        o.textContent = tk("lv_", u.level) + " · " + u.name;
        $("rv-unit").appendChild(o);
      }
    }
    if (!RV.report || RV.key !== rvQuery("json")) await loadReview();
    else renderReview();
  }

  async function loadReview() {
    if (!rvMonth()) return say("rv-note", t("repNoMonth"), true);
    say("rv-note", t("repLoading"));
    const q = rvQuery("json");
    const r = await call("GET", q);
    if (!r.ok) { RV.report = null; renderReview(); return say("rv-note", fmt("rFailed", { msg: errText(r) }), true); }
    RV.report = r.data;
    RV.key = q;
    renderReview();
  }

  function renderReview() {
    const counts = $("rv-counts"), groups = $("rv-groups");
    counts.replaceChildren();
    groups.replaceChildren();
    const rep = RV.report;
    const th = rep ? rep.thresholds : { manual_burst_count: 10, manual_burst_minutes: 10, night_from: 21, night_to: 6 };
    $("rv-rules").textContent = fmt("rvRules", { n: th.manual_burst_count, m: th.manual_burst_minutes, from: th.night_from, to: th.night_to });
    if (!rep || !rep.kinds) { $("rv-note").textContent = ""; return; }
    if (rep.lang !== lang && $("reports") && !$("reports").hidden) { // the facts are worded in the language asked for
      loadReview().catch(() => say("rv-note", t("netError"), true));
      return;
    }
    const items = rep.items || [];
    say("rv-note", items.length ? fmt("rvNote", { month: rep.month, tz: rep.time_zone, items: items.length }) : t("rvNone"));
    for (const k of rep.kinds) {
      const li = document.createElement("li");
      const n = (rep.counts || {})[k] || 0;
      li.dataset.count = String(n);
      li.dataset.testid = "review-count-" + k;
      li.append(tk("rvk_", k) + " ");
      const b = document.createElement("strong");
      b.textContent = String(n);
      li.appendChild(b);
      counts.appendChild(li);
    }
    for (const k of rep.kinds) {
      const mine = items.filter((it) => it.kind === k);
      if (!mine.length) continue;
      const g = document.createElement("section");
      g.className = "rv-group";
      g.dataset.testid = "review-group";
      g.dataset.kind = k;
      const h = document.createElement("h3");
      h.textContent = tk("rvk_", k) + " · " + fmt("rvItems", { n: mine.length });
      g.appendChild(h);
      for (const it of mine) {
        const d = document.createElement("details");
        d.className = "rv-item";
        d.dataset.testid = "review-item";
        d.dataset.kind = it.kind;
        d.dataset.id = it.id;
        const sum = document.createElement("summary");
        sum.textContent = it.text + " · " + fmt("rvMeals", { n: (it.meals || []).length });
        d.appendChild(sum);
        const box = document.createElement("div");
        box.className = "scroll-x";
        box.tabIndex = 0;
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", it.text);
        const tbl = document.createElement("table");
        tbl.className = "report";
        tbl.dataset.testid = "review-meals";
        const thead = document.createElement("thead"), hr = document.createElement("tr");
        // The staff and voided-by columns only where a meal of the item has one.
        const hasStaff = (it.meals || []).some((m) => m.staff), hasVoid = (it.meals || []).some((m) => m.voided_by);
        const head = [t("rvTime").replace("{tz}", rep.time_zone), t("rvSite"), t("rvElder"), t("rvCard"), t("rvWindow"), t("rvDecision")]
          .concat(hasStaff ? [t("rvStaff")] : [], [t("rvPrice"), t("rvSubsidy"), t("rvPay")], hasVoid ? [t("rvVoidedBy")] : [], [t("rvEvent")]);
        for (const x of head) { const c = document.createElement("th"); c.scope = "col"; c.textContent = x; hr.appendChild(c); }
        thead.appendChild(hr);
        tbl.appendChild(thead);
        const tb = document.createElement("tbody");
        for (const m of it.meals || []) {
          const tr = document.createElement("tr");
          tr.dataset.testid = "review-meal";
          tr.dataset.event = m.event_id;
          cell(tr, m.local);
          cell(tr, m.site_name || m.site);
          cell(tr, ((m.name || "") + " " + (m.elder_id || "")).trim());
          if (m.withheld) {
            cell(tr, "—");
            cell(tr, tk("w_", m.window));
            cell(tr, tk("d_", m.decision));
            const w = cell(tr, t("rvWithheld"), "withheld");
            w.colSpan = 3 + (hasStaff ? 1 : 0) + (hasVoid ? 1 : 0);
          } else {
            cell(tr, m.manual ? t("rvManual") : (m.credential || "—"), "mono");
            cell(tr, tk("w_", m.window));
            cell(tr, tk("d_", m.decision));
            if (hasStaff) cell(tr, m.staff || "");
            cell(tr, yuanPlain(m.price_fen), "num");
            cell(tr, yuanPlain(m.subsidy_fen), "num");
            cell(tr, yuanPlain(m.pay_fen), "num");
            if (hasVoid) cell(tr, m.voided_by || "");
          }
          cell(tr, m.event_id, "mono evid", "review-event");
          tb.appendChild(tr);
        }
        tbl.appendChild(tb);
        box.appendChild(tbl);
        d.appendChild(box);
        g.appendChild(d);
      }
      groups.appendChild(g);
    }
  }

  function wireReview() {
    const guard = (fn) => () => fn().catch((e) => { if (e.message !== "unauthorized") say("rv-note", t("netError"), true); });
    $("rv-load").addEventListener("click", guard(loadReview));
    $("rv-month").addEventListener("change", guard(loadReview));
    $("rv-unit").addEventListener("change", guard(loadReview));
    for (const f of ["csv", "xlsx"]) {
      $("rv-" + f).addEventListener("click", (ev) => { ev.preventDefault(); download(f, $("rv-" + f), rvQuery, "rv-note", rvMonth, "review-"); });
    }
  }

  // ---- Care tab: the visit list of the communities in scope, marking a
  // visit, and the care rule per unit (docs/care.md).
  const CARE = { list: null, target: null, rule: null, units: [] };
  const careDay = (iso) => {
    if (!iso) return "—";
    try {
      return new Intl.DateTimeFormat(lang, { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).format(new Date(iso));
    } catch (e) { return when(iso); }
  };
  const unitName = (id) => { const u = CARE.units.find((x) => x.id === id); return u ? u.name : (id || "—"); };

  async function openCareTab() {
    try {
      CARE.units = await api("GET", "org");
    } catch (e) {
      if (e.message === "unauthorized") return;
      CARE.units = [];
    }
    careOptions();
    const areas = CARE.units.filter((u) => u.level !== "site");
    if (!$("care-rule-unit").value && areas.length) $("care-rule-unit").value = areas[0].id;
    loadCare().catch((e) => { if (e.message !== "unauthorized") say("care-note", t("netError"), true); });
    loadCareRule().catch((e) => { if (e.message !== "unauthorized") say("care-rule-msg", t("netError"), true); });
  }

  // careOptions fills the unit pickers in the current language, keeping
  // the choices.
  function careOptions() {
    const areas = CARE.units.filter((u) => u.level !== "site");
    const keep = $("care-unit").value, keepRule = $("care-rule-unit").value;
    const opt = (v, text) => { const o = document.createElement("option"); o.value = v; o.textContent = text; return o; };
    $("care-unit").replaceChildren(opt("", t("careAll")), ...areas.map((u) => opt(u.id, tk("lv_", u.level) + " · " + u.name)));
    $("care-rule-unit").replaceChildren(...CARE.units.map((u) => opt(u.id, tk("lv_", u.level) + " · " + u.name)));
    if (areas.some((u) => u.id === keep)) $("care-unit").value = keep;
    if (CARE.units.some((u) => u.id === keepRule)) $("care-rule-unit").value = keepRule;
  }

  async function loadCare() {
    say("care-note", t("careLoading"));
    const unit = $("care-unit").value;
    const r = await call("GET", "care/visits" + (unit ? "?unit=" + encodeURIComponent(unit) : ""));
    if (!r.ok) { CARE.list = null; renderCare(); return say("care-note", fmt("careFailed", { msg: errText(r) }), true); }
    CARE.list = r.data;
    renderCare();
  }

  function renderCare() {
    const rows = $("care-rows"), done = $("care-visited");
    rows.replaceChildren();
    done.replaceChildren();
    careOptions();
    renderCareRule(false);
    const l = CARE.list;
    if (!l) { $("care-note").textContent = ""; renderCareForm(); return; }
    say("care-note", fmt("careSummary", { n: l.to_visit.length, v: l.visited.length, time: careDay(l.now), tz: "Asia/Shanghai" }));
    for (const e of l.to_visit) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "care-row";
      tr.dataset.elder = e.elder_id;
      cell(tr, unitName(e.community), "", "care-community");
      cell(tr, e.name, "", "care-name");
      cell(tr, unitName(e.site), "", "care-site");
      cell(tr, careDay(e.last_seen), "", "care-last-seen");
      cell(tr, unitName(e.last_site), "", "care-last-site");
      cell(tr, fmt("careDaysN", { n: e.days_absent }), "num", "care-absent");
      cell(tr, (e.weekly || []).join(" · "), "num", "care-pattern");
      const v = e.last_visit;
      cell(tr, v ? careDay(v.at) + " · " + tk("v_", v.outcome) + (v.note ? " · " + v.note : "") : t("careNone"), "", "care-last-visit");
      const td = document.createElement("td");
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = t("careVisitBtn");
      b.dataset.testid = "care-visit-button";
      b.addEventListener("click", () => { CARE.target = e; $("care-text").value = ""; $("care-msg").textContent = ""; renderCareForm(); $("care-text").focus(); });
      td.appendChild(b);
      tr.appendChild(td);
      rows.appendChild(tr);
    }
    for (const e of l.visited) {
      const tr = document.createElement("tr");
      tr.dataset.testid = "care-visited-row";
      tr.dataset.elder = e.elder_id;
      const v = e.last_visit || {};
      cell(tr, unitName(e.community));
      cell(tr, e.name);
      cell(tr, careDay(e.last_seen));
      cell(tr, fmt("careDaysN", { n: e.days_absent }), "num");
      cell(tr, tk("v_", v.outcome), "", "care-visited-outcome");
      cell(tr, v.note || t("careNone"), "", "care-visited-note");
      cell(tr, v.marked_by || "—");
      cell(tr, careDay(v.at));
      done.appendChild(tr);
    }
    renderCareForm();
  }

  function renderCareForm() {
    const e = CARE.target;
    $("care-form").hidden = !e;
    if (e) $("care-form-title").textContent = fmt("careFormTitle", { name: e.name, site: unitName(e.site) });
  }

  async function markVisit(ev) {
    ev.preventDefault();
    const e = CARE.target;
    if (!e) return;
    const body = JSON.stringify({ elder_id: e.elder_id, site: e.site, outcome: $("care-outcome").value, note: $("care-text").value });
    const r = await call("POST", "care/visits", body, "application/json");
    if (!r.ok) return say("care-msg", fmt("careFailed", { msg: errText(r) }), true);
    CARE.target = null;
    await loadCare();
    say("care-note", t("careSaved"));
  }

  async function loadCareRule() {
    const unit = $("care-rule-unit").value;
    if (!unit) return;
    const r = await call("GET", "org/" + encodeURIComponent(unit) + "/care-rule");
    if (!r.ok) { CARE.rule = null; return say("care-rule-msg", fmt("careFailed", { msg: errText(r) }), true); }
    CARE.rule = r.data;
    renderCareRule();
  }

  // renderCareRule shows the rule last read; fill false keeps what is typed.
  function renderCareRule(fill) {
    const c = CARE.rule;
    if (!c) return;
    if (fill !== false) {
      $("care-min").value = c.rule.min_meals_per_week;
      $("care-weeks").value = c.rule.weeks;
      $("care-days").value = c.rule.absent_days;
    }
    const from = c.stored ? t("careRuleOwn") : (c.from ? fmt("careRuleInherited", { from: unitName(c.from) }) : t("careRuleDefault"));
    say("care-rule-msg", fmt("careRuleFrom", { unit: unitName(c.unit), min: c.rule.min_meals_per_week, weeks: c.rule.weeks, days: c.rule.absent_days, from }));
  }

  async function saveCareRule() {
    const unit = $("care-rule-unit").value;
    if (!unit) return;
    const num = (id) => Number($(id).value);
    const body = JSON.stringify({ min_meals_per_week: num("care-min"), weeks: num("care-weeks"), absent_days: num("care-days") });
    const r = await call("PUT", "org/" + encodeURIComponent(unit) + "/care-rule", body, "application/json");
    if (!r.ok) return say("care-rule-msg", fmt("careFailed", { msg: errText(r) }), true);
    CARE.rule = r.data;
    await loadCare();
    renderCareRule();
    $("care-rule-msg").textContent += " " + t("careRuleStored");
  }

  // careDownload fetches the visit list as format with the token and saves
  // it under the server's file name.
  async function careDownload(format, link) {
    const unit = $("care-unit").value;
    link.setAttribute("aria-disabled", "true");
    try {
      const q = "care/visits?format=" + format + "&lang=" + encodeURIComponent(lang) + (unit ? "&unit=" + encodeURIComponent(unit) : "");
      const msg = await fetchFile(q, "care-visits." + format);
      if (msg) say("care-note", fmt("careFailed", { msg }), true);
    } catch (e) {
      if (e.message !== "unauthorized") say("care-note", t("netError"), true);
    } finally {
      link.removeAttribute("aria-disabled");
    }
  }

  function wireCare() {
    $("care-csv").addEventListener("click", (ev) => { ev.preventDefault(); careDownload("csv", $("care-csv")); });
    $("care-xlsx").addEventListener("click", (ev) => { ev.preventDefault(); careDownload("xlsx", $("care-xlsx")); });
    const guard = (id, fn) => (ev) => fn(ev).catch((e) => { if (e.message !== "unauthorized") say(id, t("netError"), true); });
    $("care-load").addEventListener("click", guard("care-note", loadCare));
    $("care-unit").addEventListener("change", guard("care-note", loadCare));
    $("care-form").addEventListener("submit", guard("care-msg", markVisit));
    $("care-cancel").addEventListener("click", () => { CARE.target = null; renderCareForm(); });
    $("care-rule-unit").addEventListener("change", guard("care-rule-msg", loadCareRule));
    $("care-rule-save").addEventListener("click", guard("care-rule-msg", saveCareRule));
  }

  // ---- Sign-in (docs/console.md "People"). A person signs in with a login
  // and a password; the cloud answers with a session cookie and the CSRF
  // token. Before sign-in only the form shows.
  const ROLE_KEYS = { viewer: "roleViewer", staff: "roleStaff", operator: "roleOperator", admin: "roleAdmin", auditor: "roleAuditor" };
  function showWho() {
    if (!ME) return;
    $("who").textContent = fmt("whoIs", { name: ME.name, role: t(ROLE_KEYS[ME.role] || "roleViewer") });
    $("who").hidden = false;
    $("logout").hidden = false;
    $("pw-open").hidden = ME.kind !== "user";
  }

  // resume opens the console of a session still alive (a reload, another
  // tab), else leaves the sign-in form, without a message. The session
  // cookie is HttpOnly: localStorage's "eg.signedIn" (no secret) says
  // whether to ask, so that a visitor never signed in gets no 401.
  async function resume() {
    if (!localStorage.getItem("eg.signedIn")) return;
    try {
      const res = await fetch("/api/v1/me", { credentials: "same-origin", cache: "no-store" });
      if (res.ok) await showDashboard(await res.json());
      else localStorage.removeItem("eg.signedIn");
    } catch (e) { /* not signed in */ }
  }

  async function signIn(ev) {
    ev.preventDefault();
    const err = $("login-error"), btn = $("login-button");
    const body = JSON.stringify({ login: $("login-user").value.trim(), password: $("login-password").value });
    $("login-password").value = "";
    err.hidden = true;
    btn.disabled = true;
    try {
      const res = await fetch("/api/v1/session", { method: "POST", headers: { "Content-Type": "application/json" }, body, credentials: "same-origin", cache: "no-store" });
      const data = await res.json().catch(() => ({}));
      if (res.ok) { localStorage.setItem("eg.signedIn", "1"); await showDashboard(data); return; }
      let msg = t("badLogin");
      if (data.locked_until) msg = fmt("loginLocked", { time: when(data.locked_until) });
      else if (res.status === 429) msg = t("loginTooMany");
      else if (res.status === 403) msg = t("loginDisabled");
      err.textContent = msg;
      err.dataset.state = data.locked_until ? "locked" : "refused";
      err.hidden = false;
    } catch (e) {
      err.textContent = t("netError");
      err.hidden = false;
    } finally {
      btn.disabled = false;
    }
  }

  async function signOut() {
    try { await fetch("/api/v1/session", { method: "DELETE", headers: authHeaders(), credentials: "same-origin" }); } catch (e) { /* signed out here all the same */ }
    logout("");
  }

  // showPasswordForm shows the password change; forced after an admin's
  // reset (nothing else shows until it is done).
  function showPasswordForm(forced) {
    const sec = $("pw-section");
    sec.dataset.forced = forced ? "true" : "false";
    $("pw-forced").hidden = !forced;
    $("pw-cancel").hidden = forced;
    $("pw-msg").textContent = "";
    if (forced) {
      $("tabs").hidden = true;
      for (const id of BUILTIN) $(id).hidden = true;
      for (const [id] of PAGES) $(id).hidden = true;
    }
    sec.hidden = false;
    $("pw-old").focus();
  }

  async function changePassword(ev) {
    ev.preventDefault();
    const oldPw = $("pw-old").value, newPw = $("pw-new").value;
    if (newPw !== $("pw-new2").value) { say("pw-msg", t("pwMismatch"), true); return; }
    if (newPw.length < 10) { say("pw-msg", t("pwShort"), true); return; }
    const r = await call("POST", "me/password", JSON.stringify({ old_password: oldPw, new_password: newPw }), "application/json");
    if (!r.ok) { say("pw-msg", r.status === 403 ? t("pwWrongOld") : (r.data.error || String(r.status)), true); return; }
    for (const id of ["pw-old", "pw-new", "pw-new2"]) $(id).value = "";
    const forced = $("pw-section").dataset.forced === "true";
    ME = Object.assign({}, ME, r.data, { csrf_token: CSRF });
    if (forced) { await showDashboard(ME); return; }
    say("pw-msg", t("pwChanged"), false);
  }

  // ---- Pages. Each page beyond the built-in tabs lives in its own file
  // under pages/ and registers itself with EG.page (docs/console.md): its
  // texts in three languages, its section's HTML, the lowest role that
  // sees it, and open/render/reset. The URL's hash names the page shown:
  // #meals, #gateway/gw-demo-1.
  const PAGES = new Map(); // id -> page definition, in registration order
  const BUILTIN = ["dashboard", "roster", "menu", "reports", "care"];
  // BUILTIN_ROLE is the lowest role that sees each built-in tab (the roster
  // and policies are read by operators: GET /sites/{site}/roster).
  const BUILTIN_ROLE = { dashboard: "viewer", roster: "operator", menu: "viewer", reports: "viewer", care: "viewer" };
  let ME = null;           // the caller (GET /api/v1/me) while signed in
  let current = "";        // the hash shown, "dashboard" or "meals/…"
  const RANK = { viewer: 1, staff: 2, operator: 3, admin: 4 };
  // roleSees mirrors domain.Role.Permits for a page (pages read): the
  // auditor sees every page, a page for the auditor is also the admin's,
  // and otherwise roles are ordered viewer < staff < operator < admin.
  function roleSees(role, p) {
    if (p.roles) return p.roles.includes(role);
    const min = p.role || "viewer";
    if (role === "auditor") return true;
    if (min === "auditor") return role === "admin";
    return (RANK[role] || 0) >= (RANK[min] || 99);
  }
  const pageAllowed = (p) => !!(ME && roleSees(ME.role, p));

  function definePage(def) {
    if (!def || !/^[a-z][a-z0-9-]*$/.test(def.id || "") || PAGES.has(def.id) || BUILTIN.includes(def.id)) {
      throw new Error("EG.page: bad or duplicate id " + (def && def.id));
    }
    for (const l of Object.keys(T)) Object.assign(T[l], (def.strings || {})[l] || {});
    const sec = document.createElement("section");
    sec.id = def.id;
    sec.className = "page";
    sec.dataset.testid = "page-" + def.id;
    sec.dataset.role = def.roles ? def.roles.join(" ") : def.role || "viewer"; // walked by the people browser test
    sec.hidden = true;
    sec.innerHTML = def.html || "";
    $("page-denied").before(sec);
    if (def.tab) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "tab";
      b.dataset.tab = def.id;
      b.dataset.testid = "tab-" + def.id;
      b.dataset.i18n = def.tab;
      b.hidden = !pageAllowed(def);
      b.addEventListener("click", () => go(def.id, ""));
      $("tabs").appendChild(b);
    }
    PAGES.set(def.id, def);
    sec.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  }

  // go shows page id (a built-in tab or a registered page) with arg and
  // puts it in the URL.
  function go(id, arg) {
    const h = arg ? id + "/" + arg : id;
    if (location.hash !== "#" + h) history.pushState(null, "", "#" + h);
    route();
  }

  // route shows the page the URL's hash names (the dashboard when none).
  function route() {
    if (!ME) return;
    let h = decodeURIComponent(location.hash.replace(/^#/, "")) || "dashboard";
    if (/^alert=/.test(h)) h = "dashboard"; // a notification's link to an alert (#alert=ID) is on the board
    if (h === current) return;
    current = h;
    const i = h.indexOf("/");
    const id = i < 0 ? h : h.slice(0, i), arg = i < 0 ? "" : h.slice(i + 1);
    showTab(id, arg);
  }

  // showPage hides every page but id and opens it; false when id is no
  // registered page.
  function showPage(id, arg) {
    const p = PAGES.get(id);
    for (const [k] of PAGES) $(k).hidden = true;
    const denied = $("page-denied");
    denied.hidden = true;
    if (!BUILTIN.includes(id) && !p) { denied.hidden = false; denied.dataset.state = "unknown"; $("page-denied-text").textContent = t("pageUnknown"); return true; }
    if (!p) return false;
    if (!pageAllowed(p)) { denied.hidden = false; denied.dataset.state = "denied"; $("page-denied-text").textContent = t("pageDenied"); return true; }
    $(id).hidden = false;
    if (p.open) Promise.resolve(p.open(arg)).catch((e) => { if (e.message !== "unauthorized") $("status").textContent = t("netError"); });
    return true;
  }

  function pagesSignedIn() {
    for (const id of BUILTIN) {
      $(id).dataset.role = BUILTIN_ROLE[id]; // walked by the people browser test
      const b = document.querySelector(`#tabs .tab[data-tab="${id}"]`);
      if (b) b.hidden = !roleSees(ME.role, { role: BUILTIN_ROLE[id] });
    }
    for (const [id, p] of PAGES) {
      const b = document.querySelector(`#tabs .tab[data-tab="${id}"]`);
      if (b) b.hidden = !pageAllowed(p);
    }
  }

  function pagesSignedOut() {
    ME = null;
    current = "";
    for (const [id, p] of PAGES) {
      $(id).hidden = true;
      if (p.reset) p.reset();
    }
    $("page-denied").hidden = true;
  }

  function pagesRender() {
    for (const [, p] of PAGES) if (p.render) p.render();
  }

  // loadOrg refreshes the org units the caller sees (EG.org).
  async function loadOrg() {
    const org = await api("GET", "org");
    for (const u of org) { orgNames[u.id] = u.name; orgUnits[u.id] = u; }
    return org;
  }
  const orgUnits = {}; // id -> org unit

  // EG is what the page files use: written once here.
  window.EG = Object.freeze({
    page: definePage,
    t, fmt, tk, $, yuan, when, cell, emptyRow, say, api, call, go, fetchFile, saveBlob,
    lang: () => lang,
    me: () => ME,
    org: () => orgUnits,
    loadOrg,
    unitName: (id) => (id ? orgNames[id] || id : "—"),
    DefaultZone,
  });

  document.addEventListener("DOMContentLoaded", () => {
    applyLang();
    $("lang").addEventListener("change", () => {
      lang = $("lang").value;
      localStorage.setItem("eg.lang", lang);
      applyLang();
      if (!$("dashboard").hidden) refresh();
    });
    $("login-form").addEventListener("submit", signIn);
    $("logout").addEventListener("click", signOut);
    $("pw-open").addEventListener("click", () => showPasswordForm(false));
    $("pw-cancel").addEventListener("click", () => { $("pw-section").hidden = true; });
    $("pw-form").addEventListener("submit", changePassword);
    $("gw-form").addEventListener("submit", createGateway);
    $("gw-done").addEventListener("click", clearEnroll);
    wireRoster();
    wireMenu();
    $("sound").addEventListener("click", toggleSound);
    $("as-add").addEventListener("click", () => $("as-channels").appendChild(channelRow({ kind: "wecom", lang: lang })));
    $("as-save").addEventListener("click", () => saveAlarmSettings().catch((e) => { if (e.message !== "unauthorized") say("as-msg", t("netError"), true); }));
    $("as-close").addEventListener("click", () => { AS = null; renderAlarmSettings(); });
    wireReports();
    wireCharity();
    wireReview();
    wireCare();
    wireService();
    window.addEventListener("popstate", route);
    window.addEventListener("hashchange", route);
    resume();
  });
})();
