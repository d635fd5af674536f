// Chinese for the bpmn-js modeler and its properties panel: a `translate` service that replaces the
// default one (https://github.com/bpmn-io/bpmn-js-examples/tree/main/i18n). Strings not listed stay in
// English; "{name}" placeholders are filled in as bpmn-js does.
(function () {
  "use strict";
  var ZH = {
    // palette and tools
    "Activate hand tool": "抓手工具（拖动画布）", "Activate the hand tool": "抓手工具（拖动画布）",
    "Activate lasso tool": "套索工具（框选）", "Activate the lasso tool": "套索工具（框选）",
    "Activate create/remove space tool": "插入/删除空白区域", "Activate the create/remove space tool": "插入/删除空白区域",
    "Activate global connect tool": "全局连线工具", "Activate the global connect tool": "全局连线工具",
    "Create start event": "创建开始事件", "Create StartEvent": "创建开始事件",
    "Create intermediate/boundary event": "创建中间/边界事件", "Create Intermediate/Boundary Event": "创建中间/边界事件",
    "Create end event": "创建结束事件", "Create EndEvent": "创建结束事件",
    "Create gateway": "创建网关", "Create Gateway": "创建网关",
    "Create task": "创建任务", "Create Task": "创建任务",
    "Create expanded sub-process": "创建子流程（展开）", "Create expanded SubProcess": "创建子流程（展开）",
    "Create data object reference": "创建数据对象", "Create DataObjectReference": "创建数据对象",
    "Create data store reference": "创建数据存储", "Create DataStoreReference": "创建数据存储",
    "Create group": "创建分组", "Create Group": "创建分组",
    "Create pool/participant": "创建泳池/参与者", "Create Pool/Participant": "创建泳池/参与者",
    // context pad
    "Append end event": "追加结束事件", "Append EndEvent": "追加结束事件",
    "Append gateway": "追加网关", "Append Gateway": "追加网关",
    "Append task": "追加任务", "Append Task": "追加任务",
    "Append intermediate/boundary event": "追加中间/边界事件", "Append Intermediate/Boundary Event": "追加中间/边界事件",
    "Append text annotation": "追加文字注释", "Append TextAnnotation": "追加文字注释",
    "Add text annotation": "添加文字注释",
    "Append element": "追加元素", "Append compensation activity": "追加补偿活动",
    "Change element": "更改元素类型", "Change type": "更改类型",
    "Delete": "删除", "Remove": "删除",
    "Connect using sequence flow": "用顺序流连接", "Connect using association": "用关联连接",
    "Connect using data input association": "用数据输入关联连接", "Connect to other element": "连接到其他元素",
    "Add lane above": "在上方添加泳道", "Add lane below": "在下方添加泳道",
    "Divide into two lanes": "拆分为两条泳道", "Divide into three lanes": "拆分为三条泳道",
    "Search in diagram": "在图中查找", "Set color": "设置颜色",
    // element types (popup menu, panel header)
    "Task": "任务", "User task": "用户任务", "Service task": "服务任务", "Script task": "脚本任务",
    "Business rule task": "业务规则任务", "Manual task": "手工任务", "Receive task": "接收任务", "Send task": "发送任务",
    "Call activity": "调用活动", "Sub-process": "子流程", "Sub-process (collapsed)": "子流程（折叠）",
    "Sub-process (expanded)": "子流程（展开）", "Event sub-process": "事件子流程", "Transaction": "事务",
    "Start event": "开始事件", "End event": "结束事件", "Intermediate throw event": "中间抛出事件",
    "Message start event": "消息开始事件", "Timer start event": "定时开始事件", "Timer boundary event": "定时边界事件",
    "Exclusive gateway": "排他网关", "Parallel gateway": "并行网关", "Inclusive gateway": "包容网关",
    "Event-based gateway": "事件网关", "Complex gateway": "复杂网关",
    "Sequence flow": "顺序流", "Default flow": "默认流", "Conditional flow": "条件流",
    "Pool": "泳池", "Lane": "泳道", "Participant": "参与者", "Process": "流程",
    "Text annotation": "文字注释", "Group": "分组", "Data object reference": "数据对象", "Data store reference": "数据存储",
    // properties panel
    "Select an element to edit its properties.": "请选择一个元素以编辑其属性。",
    "General": "常规", "Documentation": "说明", "Element documentation": "元素说明", "Process documentation": "流程说明",
    "Name": "名称", "ID": "ID", "Process ID": "流程 ID", "Process name": "流程名称", "Executable": "可执行",
    "Version tag": "版本标签", "Participant Name": "参与者名称",
    "ID must be unique.": "ID 不能重复。", "ID must not be empty.": "ID 不能为空。",
    "ID must not contain spaces.": "ID 不能包含空格。", "ID must be a valid QName.": "ID 须为合法的 QName。",
    "ID must not contain prefix.": "ID 不能包含前缀。",
    "User assignment": "办理人分配", "Assignee": "办理人", "Candidate groups": "候选岗位（组）",
    "Candidate users": "候选人员", "Due date": "到期时间", "Follow up date": "跟进时间", "Priority": "优先级",
    "Specify more than one group as a comma separated list.": "多个岗位以英文逗号分隔。",
    "Specify more than one user as a comma separated list.": "多个人员以英文逗号分隔。",
    "Forms": "表单", "Form key": "表单键（formKey）", "Form reference": "表单引用", "Form ID": "表单 ID",
    "Custom form key": "自定义表单键", "Type": "类型", "Value": "值", "Values": "值列表", "Key": "键",
    "Implementation": "实现", "Implementation type": "实现方式", "Expression": "表达式", "Java class": "Java 类",
    "Delegate expression": "委托表达式", "Result variable": "结果变量", "Topic": "主题", "Connector ID": "连接器 ID",
    "Condition": "条件", "Condition expression": "条件表达式", "Condition Expression": "条件表达式",
    "Script": "脚本", "Script type": "脚本类型", "Inline script": "内联脚本", "External resource": "外部资源",
    "Format": "格式", "Resource": "资源",
    "Timer": "定时器", "Date": "日期", "Duration": "时长", "Cycle": "周期",
    "How to configure a timer": "如何配置定时器", "Timer documentation": "定时器说明",
    "Called element": "被调用元素", "Binding": "绑定", "Version": "版本", "Tenant ID": "租户 ID",
    "Business key": "业务键", "Business key expression": "业务键表达式",
    "Inputs": "输入", "Outputs": "输出", "Input/Output": "输入/输出", "Local variable name": "局部变量名",
    "Variable name": "变量名", "Variable assignment value": "变量赋值", "Process variables": "流程变量",
    "Propagate all variables": "传递全部变量", "Propagate all parent process variables": "传递父流程的全部变量",
    "Propagate all child process variables": "传递子流程的全部变量", "Source": "来源", "Target": "目标",
    "Local": "局部", "In mappings": "传入映射", "Out mappings": "传出映射",
    "Extension properties": "扩展属性", "Properties": "属性", "Create": "新建", "Create new list item": "新建列表项",
    "Delete item": "删除此项", "Toggle list item": "展开/折叠此项", "Toggle section": "展开/折叠此节",
    "Section contains an error": "本节有错误", "Section contains edits": "本节有修改",
    "Execution listeners": "执行监听器", "Task listeners": "任务监听器", "Listener type": "监听器类型",
    "Listener ID": "监听器 ID", "Event type": "事件类型", "Field injection": "字段注入", "Field injections": "字段注入",
    "Asynchronous continuations": "异步执行", "Asynchronous before": "之前异步", "Asynchronous after": "之后异步",
    "Exclusive": "独占", "Job execution": "作业执行", "Retry time cycle": "重试周期", "Retries": "重试次数",
    "Multi-instance": "多实例", "Loop cardinality": "循环次数", "Collection": "集合", "Element variable": "元素变量",
    "Completion condition": "完成条件", "Start initiator": "发起人", "Initiator": "发起人变量",
    "Candidate starter": "可发起人", "Candidate starter groups": "可发起岗位", "Candidate starter users": "可发起人员",
    "Startable": "可在任务列表中发起", "History cleanup": "历史清理", "Time to live": "保留期限", "Tasklist": "任务列表",
    "External task": "外部任务", "Message": "消息", "Signal": "信号", "Error": "错误", "Escalation": "升级",
    "Global message reference": "全局消息引用", "Global signal reference": "全局信号引用",
    "Global error reference": "全局错误引用", "Global escalation reference": "全局升级引用",
    "Code": "代码", "Code variable": "代码变量", "Message variable": "消息变量", "Throw expression": "抛出表达式",
    "Wait for completion": "等待完成", "Activity reference": "活动引用", "Label": "标签", "String": "字符串",
    "List": "列表", "Map": "映射", "Map entries": "映射项", "List values": "列表值",
    "Open documentation": "打开文档", "Open pop-up editor": "在弹出编辑器中打开", "Opened in editor": "已在编辑器中打开",
    "<none>": "<无>", "<empty>": "<空>", "Before": "之前", "After": "之后", "start": "开始", "end": "结束",
    "take": "经过", "create": "创建", "assignment": "分配", "complete": "完成", "delete": "删除", "update": "更新",
    "timeout": "超时"
  };
  function translate(template, replacements) {
    replacements = replacements || {};
    var text = Object.prototype.hasOwnProperty.call(ZH, template) ? ZH[template] : template;
    return text.replace(/{([^}]+)}/g, function (_, key) {
      return Object.prototype.hasOwnProperty.call(replacements, key) ? replacements[key] : "{" + key + "}";
    });
  }
  window.OneWindowTranslateZh = { __init__: [], translate: ["value", translate] };
})();
