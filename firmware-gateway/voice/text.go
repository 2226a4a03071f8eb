package voice

import (
	"errors"
	"fmt"
	"strings"
)

// Lang is a kiosk language, as the kiosk names it.
type Lang string

// The languages the speaker knows.
const (
	LangZhCN Lang = "zh-CN" // Mandarin, simplified characters
	LangZhHK Lang = "zh-HK" // Cantonese, traditional characters
	LangEn   Lang = "en"    // English
)

// Langs lists every language, in a stable order.
var Langs = []Lang{LangZhCN, LangZhHK, LangEn}

// Kind is what is spoken: the result of a tap or the state of a call.
type Kind string

// The kinds of phrase. The tap kinds carry a sum to pay; refused carries
// a reason code.
const (
	KindApproved  Kind = "approved"  // subsidised meal: "pay X"
	KindFullPay   Kind = "full_pay"  // meal recorded at full price: "pay X"
	KindRefused   Kind = "refused"   // no meal: the reason
	KindManual    Kind = "manual"    // recorded by staff by hand: "pay X"
	KindCalling   Kind = "calling"   // alarm raised: staff are being called
	KindComing    Kind = "coming"    // alarm acknowledged: staff are coming
	KindAgain     Kind = "again"     // pressed again: staff told again
	KindDone      Kind = "done"      // alarm resolved
	KindCancelled Kind = "cancelled" // alarm cancelled by the elder
)

// Kinds lists every kind, in a stable order.
var Kinds = []Kind{KindApproved, KindFullPay, KindRefused, KindManual, KindCalling, KindComing, KindAgain, KindDone, KindCancelled}

// MaxFen is the largest sum spoken: 999,999.99 yuan.
const MaxFen = 99_999_999

// Phrase is one thing to say. The spoken text is built only from the
// tables of this package: nothing a client sends is read out verbatim.
type Phrase struct {
	Lang   Lang
	Kind   Kind
	PayFen int64  // approved, full_pay, manual
	Reason string // refused: a reason code (unknown codes are not read)
	Left   Left   // approved, refused: the quota left, read after the result
}

// Left is what remains of the elder's week or month quota after the meal
// (the tap event's remaining, as the kiosk shows it): meals (Count, when
// Meals) and/or subsidy (Fen, when Subsidy). Period "" says nothing.
type Left struct {
	Period  string // PeriodWeek or PeriodMonth
	Count   int64
	Fen     int64
	Meals   bool
	Subsidy bool
}

// Periods of a quota.
const (
	PeriodWeek  = "week"
	PeriodMonth = "month"
)

// MaxCount is the largest number of meals left spoken (a policy's count
// limits are at most 10000).
const MaxCount = 10_000

// carriesLeft reports whether k may read the quota left (the kinds whose
// screen shows it).
func (k Kind) carriesLeft() bool { return k == KindApproved || k == KindRefused }

// carriesPay reports whether k speaks a sum.
func (k Kind) carriesPay() bool {
	return k == KindApproved || k == KindFullPay || k == KindManual
}

// Validate checks the language, the kind and the sum.
func (p Phrase) Validate() error {
	if _, ok := texts[p.Lang]; !ok {
		return fmt.Errorf("voice: unknown language %q", p.Lang)
	}
	if _, ok := texts[p.Lang].kinds[p.Kind]; !ok {
		return fmt.Errorf("voice: unknown kind %q", p.Kind)
	}
	if p.PayFen < 0 || p.PayFen > MaxFen {
		return fmt.Errorf("voice: pay %d fen out of range 0..%d", p.PayFen, MaxFen)
	}
	if l := p.Left; l != (Left{}) {
		switch {
		case !p.Kind.carriesLeft():
			return fmt.Errorf("voice: %s does not read a quota", p.Kind)
		case l.Period != PeriodWeek && l.Period != PeriodMonth:
			return fmt.Errorf("voice: quota period %q is not week or month", l.Period)
		case !l.Meals && !l.Subsidy:
			return errors.New("voice: a quota without meals or subsidy")
		case l.Count < 0 || l.Count > MaxCount || (!l.Meals && l.Count != 0):
			return fmt.Errorf("voice: %d meals left out of range 0..%d", l.Count, MaxCount)
		case l.Fen < 0 || l.Fen > MaxFen || (!l.Subsidy && l.Fen != 0):
			return fmt.Errorf("voice: %d fen left out of range 0..%d", l.Fen, MaxFen)
		}
	}
	return nil
}

type langText struct {
	kinds   map[Kind]string   // {money} and {reason} are replaced
	reasons map[string]string // reason code -> words
	refused string            // refused with no known reason
	// The quota left, after the result: {p} is the period's word, {n}
	// the meals, {money} the subsidy.
	periods                  map[string]string
	leftMeals, leftFen, both string
}

// The words are those of the kiosk's screen (kiosk/static/app.js), without
// the elder's name (a masked name such as 王*红 cannot be read out).
var texts = map[Lang]langText{
	LangZhCN: {
		kinds: map[Kind]string{
			KindApproved:  "刷卡成功，应付{money}",
			KindFullPay:   "请全额付款，应付{money}",
			KindRefused:   "刷卡未通过，{reason}",
			KindManual:    "已手工记餐，应付{money}",
			KindCalling:   "正在呼叫工作人员，请稍候",
			KindComing:    "工作人员已收到，马上就到",
			KindAgain:     "您又按了一次，已再次通知工作人员",
			KindDone:      "已处理",
			KindCancelled: "呼叫已取消",
		},
		refused:   "刷卡未通过，请联系工作人员",
		periods:   map[string]string{PeriodWeek: "本周", PeriodMonth: "本月"},
		leftMeals: "，{p}还可享受补贴{n}次", leftFen: "，{p}补贴余额{money}", both: "，{p}还可享受补贴{n}次，余额{money}",
		reasons: map[string]string{
			"unknown_card": "卡片未登记", "card_inactive": "卡片已停用", "card_lost": "此卡已挂失，请联系工作人员",
			"card_cancelled": "此卡已注销", "outside_meal_window": "不在用餐时间", "already_served": "本餐已用过",
			"subsidy_limit_reached": "补贴额度已用完", "not_eligible": "不在补贴范围，按原价付款",
			"below_minimum_spend": "未达最低消费，无补贴", "outside_jurisdiction": "非户籍所在地，无补贴",
			"no_subsidy": "本餐无补贴", "usage_stale": "用餐记录未同步，暂按原价", "price_unknown": "请先称重",
			"invalid_input": "数据有误，请联系工作人员", "system_error": "系统故障，请联系工作人员",
			"disk_full": "存储空间已满，暂停记餐，请联系工作人员",
		},
	},
	LangZhHK: {
		kinds: map[Kind]string{
			KindApproved:  "拍卡成功，應付{money}",
			KindFullPay:   "請全額付款，應付{money}",
			KindRefused:   "拍卡未能通過，{reason}",
			KindManual:    "職員已人手記錄膳食，應付{money}",
			KindCalling:   "正在呼叫職員，請稍候",
			KindComing:    "職員已收到，即將到達",
			KindAgain:     "您再按了一次，已再次通知職員",
			KindDone:      "已處理",
			KindCancelled: "呼叫已取消",
		},
		refused:   "拍卡未能通過，請聯絡職員",
		periods:   map[string]string{PeriodWeek: "本週", PeriodMonth: "本月"},
		leftMeals: "，{p}還可享受資助{n}次", leftFen: "，{p}資助餘額{money}", both: "，{p}還可享受資助{n}次，餘額{money}",
		reasons: map[string]string{
			"unknown_card": "卡未登記", "card_inactive": "卡已停用", "card_lost": "此卡已報失，請聯絡職員",
			"card_cancelled": "此卡已註銷", "outside_meal_window": "不在用膳時間", "already_served": "此餐已用",
			"subsidy_limit_reached": "資助額已用完", "not_eligible": "不在資助範圍，按原價付款",
			"below_minimum_spend": "未達最低消費，無資助", "outside_jurisdiction": "非戶籍所在地，無資助",
			"no_subsidy": "此餐無資助", "usage_stale": "用膳記錄未同步，暫按原價", "price_unknown": "請先秤重",
			"invalid_input": "資料有誤，請聯絡職員", "system_error": "系統故障，請聯絡職員",
			"disk_full": "儲存空間已滿，暫停記錄膳食，請聯絡職員",
		},
	},
	LangEn: {
		kinds: map[Kind]string{
			KindApproved:  "Approved. Please pay {money}.",
			KindFullPay:   "Please pay the full price, {money}.",
			KindRefused:   "Refused. {reason}.",
			KindManual:    "Meal recorded by staff. Please pay {money}.",
			KindCalling:   "Calling staff, please wait.",
			KindComing:    "Staff have received your call and are on the way.",
			KindAgain:     "You pressed again. Staff have been told again.",
			KindDone:      "Taken care of.",
			KindCancelled: "Call cancelled.",
		},
		refused:   "Refused. Please see staff.",
		periods:   map[string]string{PeriodWeek: "this week", PeriodMonth: "this month"},
		leftMeals: " Subsidised meals left {p}: {n}.", leftFen: " Subsidy left {p}: {money}.", both: " Left {p}: {n} {meals} and {money}.",
		reasons: map[string]string{
			"unknown_card": "Card not registered", "card_inactive": "Card inactive", "card_lost": "Card reported lost, please see staff",
			"card_cancelled": "Card cancelled", "outside_meal_window": "Not a meal time", "already_served": "Already served this meal",
			"subsidy_limit_reached": "Subsidy limit reached", "not_eligible": "Not eligible, full price",
			"below_minimum_spend": "Below the minimum spend, no subsidy", "outside_jurisdiction": "Outside your home area, no subsidy",
			"no_subsidy": "No subsidy for this meal", "usage_stale": "Usage not synced, full price for now", "price_unknown": "Please weigh the meal first",
			"invalid_input": "Invalid data, please ask staff", "system_error": "System error, please ask staff",
			"disk_full": "Storage full, meals paused, please ask staff",
		},
	},
}

// Text is the sentence spoken for p.
func Text(p Phrase) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	lt := texts[p.Lang]
	s := lt.kinds[p.Kind]
	if p.Kind == KindRefused {
		r, ok := lt.reasons[p.Reason]
		if ok {
			s = strings.ReplaceAll(s, "{reason}", r)
		} else {
			s = lt.refused
		}
	}
	if p.Kind.carriesPay() {
		m, err := MoneyWords(p.PayFen, p.Lang)
		if err != nil {
			return "", err
		}
		s = strings.ReplaceAll(s, "{money}", m)
	}
	left, err := leftWords(lt, p)
	if err != nil {
		return "", err
	}
	return s + left, nil
}

// leftWords reads the quota left after the result, or nothing.
func leftWords(lt langText, p Phrase) (string, error) {
	l := p.Left
	if l.Period == "" {
		return "", nil
	}
	s := lt.leftMeals
	switch {
	case l.Meals && l.Subsidy:
		s = lt.both
	case l.Subsidy:
		s = lt.leftFen
	}
	n := enNumber(l.Count)
	meals := "meals"
	if l.Count == 1 {
		meals = "meal"
	}
	if p.Lang != LangEn {
		n = zhAmount(l.Count, p.Lang == LangZhHK)
	}
	m, err := MoneyWords(l.Fen, p.Lang)
	if err != nil {
		return "", err
	}
	r := strings.NewReplacer("{p}", lt.periods[l.Period], "{n}", n, "{meals}", meals, "{money}", m)
	return r.Replace(s), nil
}

// MoneyWords reads a sum of integer fen as it is said in lang:
// 350 fen is 三元五角 in Mandarin, 三蚊五毫 in Cantonese (the spoken
// units, which espeak-ng's yue voice reads with their money tones:
// man1, hou4, sin1) and "three yuan fifty fen" in English. Zero is
// 零元 / 零蚊 / "zero yuan". The sum must be within 0..MaxFen.
func MoneyWords(fen int64, lang Lang) (string, error) {
	if fen < 0 || fen > MaxFen {
		return "", fmt.Errorf("voice: %d fen out of range 0..%d", fen, MaxFen)
	}
	yuan, jiao, f := fen/100, fen/10%10, fen%10
	switch lang {
	case LangZhCN, LangZhHK:
		trad := lang == LangZhHK
		units := [3]string{"元", "角", "分"}
		if trad {
			units = [3]string{"蚊", "毫", "仙"}
		}
		if fen == 0 {
			return "零" + units[0], nil
		}
		var b strings.Builder
		if yuan > 0 {
			b.WriteString(zhAmount(yuan, trad) + units[0])
		}
		if jiao > 0 {
			b.WriteString(zhAmount(jiao, trad) + units[1])
		}
		if f > 0 {
			if jiao == 0 && yuan > 0 {
				b.WriteString("零")
			}
			b.WriteString(zhAmount(f, trad) + units[2])
		}
		return b.String(), nil
	case LangEn:
		cents := fen % 100
		switch {
		case fen == 0:
			return "zero yuan", nil
		case yuan == 0:
			return enNumber(cents) + " fen", nil
		case cents == 0:
			return enNumber(yuan) + " yuan", nil
		default:
			return enNumber(yuan) + " yuan " + enNumber(cents) + " fen", nil
		}
	}
	return "", fmt.Errorf("voice: unknown language %q", lang)
}

var zhDigits = []string{"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"}

// zhAmount is zhNumber, except that a lone 2 is 两 (兩), as a sum is said.
func zhAmount(n int64, trad bool) string {
	if n == 2 {
		if trad {
			return "兩"
		}
		return "两"
	}
	return zhNumber(n, trad)
}

// zhNumber writes 0 <= n < 100,000,000 in Chinese numerals: 10 is 十,
// 110 一百一十, 1005 一千零五, 10000 一万 (一萬).
func zhNumber(n int64, trad bool) string {
	if n == 0 {
		return zhDigits[0]
	}
	wan := "万"
	if trad {
		wan = "萬"
	}
	var s string
	high, low := n/10000, n%10000
	if high > 0 {
		s = zhSection(high) + wan
		if low > 0 {
			if low < 1000 {
				s += "零"
			}
			s += zhSection(low)
		}
	} else {
		s = zhSection(low)
	}
	if strings.HasPrefix(s, "一十") {
		s = strings.TrimPrefix(s, "一")
	}
	return s
}

// zhSection writes 0 < n < 10000.
func zhSection(n int64) string {
	units := []string{"千", "百", "十", ""}
	div := int64(1000)
	var b strings.Builder
	zero, started := false, false
	for i := range 4 {
		d := n / div % 10
		div /= 10
		if d == 0 {
			zero = started
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		b.WriteString(zhDigits[d] + units[i])
		started = true
	}
	return b.String()
}

var (
	enOnes = []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	enTens = []string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
)

// enNumber writes 0 <= n < 1,000,000 in English words.
func enNumber(n int64) string {
	if n >= 1000 {
		s := enNumber(n/1000) + " thousand"
		if n%1000 > 0 {
			s += " " + enNumber(n%1000)
		}
		return s
	}
	if n >= 100 {
		s := enOnes[n/100] + " hundred"
		if n%100 > 0 {
			s += " " + enNumber(n%100)
		}
		return s
	}
	if n < 20 {
		return enOnes[n]
	}
	s := enTens[n/10]
	if n%10 > 0 {
		s += "-" + enOnes[n%10]
	}
	return s
}

// errQuery marks a bad request (ParseQuery).
var errQuery = errors.New("voice: bad query")
