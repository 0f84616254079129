"""The console's words in Chinese and English. A key missing in one language falls back to the
other, then to the key itself, so a page never fails over a label."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("zh", "en")

LABELS: dict[str, dict[str, str]] = {
    "desk": {"zh": "投诉受理台", "en": "Complaint Desk"},
    "queue": {"zh": "我的待办", "en": "My queue"},
    "file": {"zh": "登记投诉", "en": "File a complaint"},
    "board": {"zh": "看板", "en": "Board"},
    "policies": {"zh": "制度", "en": "Policies"},
    "operations": {"zh": "运行", "en": "Operations"},
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "sign_out": {"zh": "退出", "en": "Sign out"},
    "token": {"zh": "个人令牌", "en": "Personal token"},
    "demo_people": {"zh": "演示：选择身份登录", "en": "Demo: sign in as"},
    "all": {"zh": "全部", "en": "All"},
    "overdue": {"zh": "已超时", "en": "Overdue"},
    "within_hour": {"zh": "1 小时内到期", "en": "Breaching within 1 hour"},
    "complaints": {"zh": "投诉", "en": "Complaints"},
    "callbacks": {"zh": "待回访", "en": "Callbacks due"},
    "approvals": {"zh": "待审批", "en": "Approvals asked of me"},
    "number": {"zh": "编号", "en": "Number"},
    "family": {"zh": "类别", "en": "Family"},
    "type": {"zh": "类型", "en": "Type"},
    "tier": {"zh": "等级", "en": "Tier"},
    "state": {"zh": "状态", "en": "State"},
    "role": {"zh": "角色", "en": "Role"},
    "owner": {"zh": "首问负责人", "en": "First responder"},
    "handler": {"zh": "处理人", "en": "Handler"},
    "department": {"zh": "部门", "en": "Department"},
    "due": {"zh": "期限", "en": "Due"},
    "time_left": {"zh": "剩余时间", "en": "Time left"},
    "filter": {"zh": "筛选", "en": "Filter"},
    "nothing": {"zh": "暂无", "en": "Nothing here"},
    "attempt": {"zh": "第几次", "en": "Attempt"},
    "action": {"zh": "事项", "en": "Action"},
    "amount": {"zh": "金额", "en": "Amount"},
    "requested_by": {"zh": "申请人", "en": "Asked by"},
    "deadlines": {"zh": "各阶段期限", "en": "Stage deadlines"},
    "stage": {"zh": "阶段", "en": "Stage"},
    "verdict": {"zh": "结果", "en": "Verdict"},
    "timeline": {"zh": "处理记录", "en": "Timeline"},
    "escalations": {"zh": "升级", "en": "Escalations"},
    "handoffs": {"zh": "转交", "en": "Hand-offs"},
    "bounce": {"zh": "退回", "en": "bounce"},
    "refusals": {"zh": "被拒绝的操作", "en": "Refused actions"},
    "unmaskings": {"zh": "查看明文记录", "en": "Who saw the complainant unmasked"},
    "actions": {"zh": "可执行的操作", "en": "What you may do now"},
    "no_actions": {"zh": "当前状态下您没有可执行的操作", "en": "Nothing you may do in this state"},
    "complainant": {"zh": "投诉人", "en": "Complainant"},
    "policy_version": {"zh": "制度版本", "en": "Policy version"},
    "received": {"zh": "受理时间", "en": "Received"},
    "version": {"zh": "版本", "en": "Version"},
    "stale": {"zh": "页面已过期", "en": "This page is out of date"},
    "reload": {"zh": "重新加载", "en": "Reload"},
    "next_escalation": {"zh": "下一次升级", "en": "Next escalation"},
    "submit": {"zh": "提交", "en": "Submit"},
    "name": {"zh": "姓名", "en": "Name"},
    "phone": {"zh": "电话", "en": "Phone"},
    "email": {"zh": "邮箱", "en": "E-mail"},
    "address": {"zh": "地址", "en": "Address"},
    "description": {"zh": "投诉内容", "en": "What happened"},
    "request": {"zh": "诉求", "en": "What they ask for"},
    "occurred_at": {"zh": "发生时间", "en": "When it happened"},
    "location": {"zh": "发生地点", "en": "Where"},
    "people_involved": {"zh": "涉及人员", "en": "People involved"},
    "channel": {"zh": "渠道", "en": "Channel"},
    "order_no": {"zh": "订单号", "en": "Order number"},
    "shop": {"zh": "店铺", "en": "Shop"},
    "repeat_hint": {"zh": "同一投诉人近期的投诉", "en": "The same complainant's open or recent complaints"},
    "filed": {"zh": "已登记", "en": "Filed"},
    "forbidden": {"zh": "无权访问", "en": "Not permitted"},
    "not_found": {"zh": "未找到", "en": "Not found"},
    "language": {"zh": "English", "en": "中文"},
    "signed_in_as": {"zh": "当前用户", "en": "Signed in as"},
    "met": {"zh": "按时", "en": "met"},
    "missed": {"zh": "超时完成", "en": "missed"},
    "open": {"zh": "进行中", "en": "open"},
    "level": {"zh": "级别", "en": "Level"},
    "at": {"zh": "时间", "en": "At"},
    "actor": {"zh": "操作人", "en": "By"},
    "event": {"zh": "事件", "en": "Event"},
    "reason": {"zh": "原因", "en": "Reason"},
    "reveal": {"zh": "查看投诉人信息", "en": "Show the complainant's details"},
    "reveal_recorded": {"zh": "查看将被记录", "en": "who looks is recorded"},
    "zone": {"zh": "时区", "en": "Time zone"},
    "edit_draft": {"zh": "编辑草案", "en": "Edit a draft"},
    "revisits": {"zh": "回访", "en": "Revisits (回访)"},
    "after": {"zh": "反馈后", "en": "After feedback"},
    "attempts": {"zh": "次数", "en": "Attempts"},
    "retry_every": {"zh": "间隔", "en": "Retry every"},
    "sweeps": {"zh": "巡检频率", "en": "Sweeps"},
    "ladder": {"zh": "升级阶梯", "en": "Escalation ladder"},
    "notify": {"zh": "通知", "en": "Notify"},
    "types": {"zh": "投诉类型", "en": "Complaint types"},
    "authority": {"zh": "审批权限", "en": "Authority"},
    "permissions": {"zh": "操作权限", "en": "Permissions"},
    "calendar": {"zh": "工作日历", "en": "Calendar"},
    "calendar_hint": {"zh": "节假日与调休上班日；工作时间", "en": "Holidays and make-up workdays; business hours"},
    "working_day": {"zh": "上班", "en": "working day"},
    "day_off": {"zh": "休息", "en": "day off"},
    "problems": {"zh": "处问题", "en": "problem(s)"},
    "line": {"zh": "第", "en": "line"},
    "draft_ok": {"zh": "草案检查通过", "en": "the draft checks out"},
    "check_draft": {"zh": "检查", "en": "Check"},
    "whatif_days": {"zh": "回放天数", "en": "Replay days"},
    "run_whatif": {"zh": "假设回放", "en": "Run the what-if"},
    "whatif": {"zh": "假设回放", "en": "What-if"},
    "days": {"zh": "天", "en": "days"},
    "compared_with": {"zh": "对比", "en": "compared with"},
    "breaches": {"zh": "超时", "en": "Breaches"},
    "notices": {"zh": "通知", "en": "Notices"},
    "mean_margin": {"zh": "平均余量", "en": "Mean margin"},
    "before": {"zh": "现行", "en": "Before"},
    "with_draft": {"zh": "按草案", "en": "With the draft"},
    "changed": {"zh": "结果改变的投诉", "en": "Complaints whose outcome changes"},
    "reports": {"zh": "报表", "en": "Reports"},
    "scheduled": {"zh": "待触发的升级", "en": "Escalations scheduled"},
    "due_now": {"zh": "已到期", "en": "Due now"},
    "within_hour_short": {"zh": "1 小时内", "en": "Next hour"},
    "within_day": {"zh": "24 小时内", "en": "Next day"},
    "kind": {"zh": "种类", "en": "Kind"},
    "fired_today": {"zh": "今日已触发", "en": "Fired today"},
    "fired_at": {"zh": "触发时间", "en": "Fired at"},
    "run": {"zh": "Prefect 运行", "en": "Prefect run"},
    "open_prefect": {"zh": "打开 Prefect 界面", "en": "Open Prefect's UI"},
    "outbox": {"zh": "通知发件箱", "en": "Outbox"},
    "recipient": {"zh": "接收人", "en": "Recipient"},
    "status": {"zh": "状态", "en": "Status"},
    "last_error": {"zh": "最近错误", "en": "Last error"},
    "next_try": {"zh": "下次尝试", "en": "Next try"},
    "retry": {"zh": "重试", "en": "Retry"},
    "retried": {"zh": "已重试", "en": "Retried"},
    "failed": {"zh": "已放弃", "en": "Failed"},
    "owed": {"zh": "待发送", "en": "Owed"},
    "compliance": {"zh": "时限达标率", "en": "SLA compliance"},
    "rates": {"zh": "重开率与满意率", "en": "Reopen and satisfaction rates"},
    "first_responders": {"zh": "首问负责人责任榜", "en": "First responders' board"},
    "owned": {"zh": "负责", "en": "Owned"},
    "bounces": {"zh": "退回", "en": "Bounces"},
    "download_csv": {"zh": "下载 CSV", "en": "Download CSV"},
    "bucket": {"zh": "周期", "en": "Bucket"},
    "start": {"zh": "开始", "en": "From"},
    "end": {"zh": "结束", "en": "To"},
    "fed_back": {"zh": "已反馈", "en": "Fed back"},
    "reopened": {"zh": "重开", "en": "Reopened"},
    "reopen_rate": {"zh": "重开率", "en": "Reopen rate"},
    "satisfied": {"zh": "满意", "en": "Satisfied"},
    "unsatisfied": {"zh": "不满意", "en": "Unsatisfied"},
    "unreachable": {"zh": "未联系上", "en": "Unreachable"},
    "satisfaction_rate": {"zh": "满意率", "en": "Satisfaction rate"},
    "problem": {"zh": "无法完成", "en": "Not done"},
}


def translator(language: str) -> Callable[[str], str]:
    other = "en" if language == "zh" else "zh"

    def t(key: str) -> str:
        words = LABELS.get(key)
        if words is None:
            return key
        return words.get(language) or words.get(other) or key

    return t


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The switch's choice if made, else the browser's first preference we speak, else Chinese."""
    if cookie in LANGUAGES:
        return cookie
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh"
        if tag.startswith("en"):
            return "en"
    return "zh"
