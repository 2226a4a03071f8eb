// eldergate kiosk: what a tap's result says (the decision's word, the
// figures' labels, each reason code) in the three languages, and money
// in yuan, shared by the elder's screen (app.js) and the cashier's
// (cashier.js). No build step; loaded before both.
"use strict";

const EG_RESULTS = {
  "zh-CN": {
    approved: "补贴成功", full_pay: "请付全价", refused: "刷卡未通过", discounted: "长者优惠价",
    price: "餐费", subsidy: "补贴", to_pay: "应付", yuan: "元",
    reasons: { ok: "", unknown_card: "这张卡还没有登记", card_inactive: "这张卡已停用", card_lost: "这张卡已挂失", card_cancelled: "这张卡已注销", outside_meal_window: "现在不是用餐时间",
      discount_only: "这一餐按长者优惠价，没有补贴", awaiting_amount: "收银员正在输入这一餐的金额", already_served: "这一餐您已经用过了", subsidy_limit_reached: "补贴额度已用完", not_eligible: "您不在补贴范围内", below_minimum_spend: "未达到最低消费，没有补贴", outside_jurisdiction: "不在户籍所在地，没有补贴", no_subsidy: "这一餐没有补贴", usage_stale: "用餐记录未同步，暂按原价", price_unknown: "还没有称重", invalid_input: "数据有误", system_error: "系统出了故障",
      disk_full: "存储已满，暂停记餐" },
  },
  "zh-HK": {
    approved: "資助成功", full_pay: "請付全費", refused: "拍卡未能通過", discounted: "長者優惠價",
    price: "餐費", subsidy: "資助", to_pay: "應付", yuan: "元",
    reasons: { ok: "", unknown_card: "這張卡未登記", card_inactive: "這張卡已停用", card_lost: "這張卡已報失", card_cancelled: "這張卡已註銷", outside_meal_window: "現在不是用膳時間",
      discount_only: "這一餐按長者優惠價，沒有資助", awaiting_amount: "收銀員正在輸入這一餐的金額", already_served: "這一餐您已經用過了", subsidy_limit_reached: "資助額已用完", not_eligible: "您不在資助範圍內", below_minimum_spend: "未達最低消費，沒有資助", outside_jurisdiction: "非戶籍所在地，沒有資助", no_subsidy: "這一餐沒有資助", usage_stale: "用膳記錄未同步，暫按原價", price_unknown: "還未秤重", invalid_input: "資料有誤", system_error: "系統出現故障",
      disk_full: "儲存已滿，暫停記錄膳食" },
  },
  en: {
    approved: "Subsidised", full_pay: "Full price", refused: "Not accepted", discounted: "Senior discount",
    price: "Price", subsidy: "Subsidy", to_pay: "To pay", yuan: "yuan",
    reasons: { ok: "", unknown_card: "This card is not registered", card_inactive: "This card is switched off", card_lost: "This card was reported lost", card_cancelled: "This card was cancelled", outside_meal_window: "It is not meal time now",
      discount_only: "Senior discount on this meal, no subsidy", awaiting_amount: "The cashier is keying this meal's amount", already_served: "You have had this meal already", subsidy_limit_reached: "Your subsidy is used up", not_eligible: "Not eligible for a subsidy", below_minimum_spend: "Below the minimum spend: no subsidy", outside_jurisdiction: "Outside your home area: no subsidy", no_subsidy: "No subsidy for this meal", usage_stale: "Records not synced: full price for now", price_unknown: "The meal has not been weighed", invalid_input: "Something is wrong with the data", system_error: "The system has a fault",
      disk_full: "Storage full: meals paused" },
  },
};

// yuan formats integer fen as yuan with two decimals, without floats.
function yuan(fen) {
  fen = Math.trunc(Number(fen) || 0);
  const sign = fen < 0 ? "-" : "";
  fen = Math.abs(fen);
  return `${sign}${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;
}

// yuanToFen turns "12.5" into 1250 from the text, never through a float;
// null when the text is not an amount of at most 99999.99 yuan.
function yuanToFen(text) {
  const m = String(text).trim().match(/^(\d{1,5})(?:\.(\d{1,2}))?$/);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] || "0").padEnd(2, "0"));
}
