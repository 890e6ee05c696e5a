"""The Chinese of what the server writes for every tab (toolkit/messages.py): the model layer, checks of
what visitors send, data, training and the page, keyed by the English template (each tab's own is in
toolkit/zh_tab_messages.py). Each Chinese template uses the same {names} as its English one
(tests/test_messages.py checks both)."""

ZH_MESSAGES = {
    # The model layer
    "The model '{model_id}' could not be loaded ({reason}). {how_to_fix} The other tabs keep working.":
        "无法加载模型“{model_id}”（{reason}）。{how_to_fix} 其他标签页不受影响。",
    "It is downloaded from the Hugging Face hub on first use: connect to the internet, or put it in the cache "
    "that HF_HOME points at (`hf download {model_id}`).":
        "首次使用时从 Hugging Face Hub 下载：请连接互联网，或把它放进 HF_HOME 指向的缓存（`hf download {model_id}`）。",
    "torchvision downloads {weights} on first use: connect to the internet, or put {file} in "
    "$TORCH_HOME/hub/checkpoints.":
        "torchvision 首次使用时下载 {weights}：请连接互联网，或把 {file} 放进 $TORCH_HOME/hub/checkpoints。",
    "Ultralytics downloads it on first use: connect to the internet, or put {model_id} in the folder that "
    "SHOWCASE_MODEL_DIR names.":
        "Ultralytics 首次使用时下载它：请连接互联网，或把 {model_id} 放进 SHOWCASE_MODEL_DIR 指定的文件夹。",
    "The model '{model_id}' is not listed in spaces.yaml.": "模型“{model_id}”不在 spaces.yaml 中。",
    "'{model_id}' is not a Hugging Face model and has no tokenizer.": "“{model_id}”不是 Hugging Face 模型，没有分词器。",
    "That file is not a saved encoder ({error}); download one from the Self-supervised tab.":
        "这个文件不是保存的编码器（{error}）；请从“自监督预训练”标签页下载一个。",
    "That .safetensors file is not an encoder from the Self-supervised tab.":
        "这个 .safetensors 文件不是“自监督预训练”标签页导出的编码器。",
    "That encoder file does not match this version's encoder (its layers differ).":
        "这个编码器文件与当前版本的编码器不匹配（网络层不同）。",
    # Ray Serve (models/remote.py)
    "The worker running {name} stopped while answering; it is being replaced. Try again in a few seconds.":
        "运行 {name} 的工作进程在回答时停止了，正在替换。请几秒后再试。",
    "Every worker running {name} is busy; try again in a few seconds.": "运行 {name} 的工作进程都在忙，请几秒后再试。",
    "No worker for {family} models could be started on the model server ({reason}).":
        "模型服务器无法为 {family} 类模型启动工作进程（{reason}）。",
    "{name} did not answer within {seconds:g} s; the model server may be overloaded.":
        "{name} 在 {seconds:g} 秒内没有回答，模型服务器可能负载过高。",
    # Every tab (toolkit/ui.py)
    "The GPU ran out of memory on this input; try a smaller one.": "处理这个输入时 GPU 显存不足；请换一个小一些的输入。",
    "Something went wrong inside the app ({detail}).": "应用内部出错（{detail}）。",
    "**{name}** on `{device}` ({runtime} {precision})": "**{name}** 运行于 `{device}`（{runtime} {precision}）",
    "First use: converted to {runtime} in {seconds:.1f} s; kept on disk for next time.":
        "首次使用：已用 {seconds:.1f} 秒转换为 {runtime}，并存到磁盘供下次使用。",
    "**Error:** {reason}": "**错误：** {reason}",
    # Checking what visitors send (toolkit/inputs.py)
    "{what} must be a whole number, got {value}.": "{what}必须是整数，收到的是 {value}。",
    "{what} must be a number, got {value}.": "{what}必须是数字，收到的是 {value}。",
    "{what} must be from {low:,g} to {high:,g}, got {value:,g}.": "{what}必须在 {low:,g} 到 {high:,g} 之间，收到的是 {value:,g}。",
    "{what} must be at least {low:,g}, got {value:,g}.": "{what}至少为 {low:,g}，收到的是 {value:,g}。",
    "{what} must be at most {high:,g}, got {value:,g}.": "{what}至多为 {high:,g}，收到的是 {value:,g}。",
    "Please enter {what} first (or click one of the examples).": "请先输入{what}（或点击一个示例）。",
    "The text is {length:,} characters long; the limit here is {limit:,}.": "文本长 {length:,} 个字符；这里的上限是 {limit:,}。",
    "{count:,} lines is too many; the limit here is {limit:,}.": "{count:,} 行太多了；这里的上限是 {limit:,} 行。",
    "Enter at least one label, separated by commas (for example: cat, dog, car).":
        "请至少输入一个标签，用逗号分隔（例如：猫, 狗, 汽车）。",
    "{count} labels is too many; the limit is {limit}.": "{count} 个标签太多了；上限是 {limit} 个。",
    "The image is too large to open safely ({error}). Please resize it first.": "图像太大，无法安全打开（{error}）。请先缩小它。",
    "'{name}' is not an image this app can read (try JPEG or PNG).": "“{name}”不是本应用能读取的图像（请试试 JPEG 或 PNG）。",
    "'{name}' could not be read: {error}.": "无法读取“{name}”：{error}。",
    "Please upload an image first (or click one of the examples).": "请先上传一张图像（或点击一个示例）。",
    "Expected an image array, got shape {shape}.": "需要图像数组，收到的形状是 {shape}。",
    "The image file '{name}' was not found.": "找不到图像文件“{name}”。",
    "Expected an image, got {kind}.": "需要一张图像，收到的是 {kind}。",
    "The image is {width}x{height} ({megapixels:.0f} megapixels); the limit is {limit:.0f} megapixels. Please resize "
    "it first.": "图像为 {width}x{height}（{megapixels:.0f} 百万像素）；上限是 {limit:.0f} 百万像素。请先缩小它。",
    "The image file is damaged or truncated and could not be decoded ({error}).": "图像文件已损坏或不完整，无法解码（{error}）。",
    # The names of settings and inputs in those messages
    "some text": "一些文本", "a corpus to train on": "用于训练的语料", "a sample": "一段示例文本", "a prompt": "提示词",
    "The seed": "随机种子", "Top-k": "Top-k", 
    "No-repeat n-gram size": "禁止重复的 n-gram 长度", 
    "The learning rate": "学习率", "Max length": "最大长度", 
    "a sentence to classify": "要分类的句子", "The time budget": "时间预算", 
    "a sentence": "一个句子", "a sentence (or several, one per line)": "一个句子（或多句，每行一句）", "a query": "一个查询",
    "sentences to search (one per line)": "要搜索的句子（每行一句）", "upload": "上传的文件",
    # Reading a table of labelled texts (toolkit/text_data.py)
    "Upload a CSV or TSV file first (or use the built-in example).": "请先上传 CSV 或 TSV 文件（或使用内置示例）。",
    "The file is not UTF-8; it was read as {name}: check that accents look right.":
        "文件不是 UTF-8 编码，已按 {name} 读取：请检查文字是否显示正常。",
    "'{name}' is empty.": "“{name}”是空的。",
    "'{name}' could not be read as CSV or TSV ({error}).": "无法把“{name}”读取为 CSV 或 TSV（{error}）。",
    "No {role} column named '{column}'. The file's columns are: {columns}. Choose the text and label columns.":
        "没有名为“{column}”的{role}列。文件的列有：{columns}。请选择文本列和标签列。",
    "No {role} column. The file's columns are: {columns}. Choose the text and label columns.":
        "没有{role}列。文件的列有：{columns}。请选择文本列和标签列。",
    "text": "文本", "label": "标签",
    "The text and label columns must be different.": "文本列和标签列不能相同。",
    "Skipped {count} row(s) with an empty text or label.": "跳过了 {count} 行文本或标签为空的数据。",
    "Training needs at least two classes in '{column}'; the file has only '{label}'.":
        "训练需要“{column}”列中至少有两个类别；文件中只有“{label}”。",
    "Training needs at least two classes in '{column}'; the file has no labelled rows.":
        "训练需要“{column}”列中至少有两个类别；文件中没有带标签的行。",
    "Used {used:,} of {rows:,} rows (a sample keeping each class's share); raise 'Max rows used' to use more.":
        "使用了 {rows:,} 行中的 {used:,} 行（按类别比例抽样）；调大“最多使用行数”即可使用更多。",
    # Reading uploaded images (toolkit/image_data.py)
    "'{name}' could not be read as a zip ({error}).": "无法把“{name}”读取为 zip 文件（{error}）。",
    "'{name}' unpacks to more than {limit} MB.": "“{name}”解压后超过 {limit} MB。",
    "More than {limit:,} files to read; send fewer.": "要读取的文件超过 {limit:,} 个；请少发一些。",
    "damaged inside the zip ({error})": "zip 内的文件已损坏（{error}）",
    "no class (put it in a class folder or name it class_xxx.jpg)": "没有类别（请放进类别文件夹，或命名为 class_xxx.jpg）",
    "These images hold more than {limit:,.0f} megapixels in all, too many to decode here. Send fewer or smaller "
    "images (a few hundred pixels a side is plenty).":
        "这些图像合计超过 {limit:,.0f} 百万像素，这里解码不了这么多。请发送更少或更小的图像（每边几百像素就足够）。",
    "No usable labelled images found. Upload a zip of class folders, or images named class_xxx.jpg. Skipped: {skipped}":
        "没有找到可用的带标签图像。请上传由类别文件夹组成的 zip，或命名为 class_xxx.jpg 的图像。已跳过：{skipped}",
    "No usable labelled images found. Upload a zip of class folders, or images named class_xxx.jpg.":
        "没有找到可用的带标签图像。请上传由类别文件夹组成的 zip，或命名为 class_xxx.jpg 的图像。",
    "Found only the class '{label}'; a classifier needs two or more.": "只找到类别“{label}”；分类器需要两个或更多类别。",
    "Each class needs at least 2 images; these have 1: {labels}.": "每个类别至少需要 2 张图像；这些类别只有 1 张：{labels}。",
    "CIFAR-10 could not be downloaded ({error}); upload your own images instead.": "无法下载 CIFAR-10（{error}）；请改为上传你自己的图像。",
    # Training (toolkit/training.py, toolkit/probe.py)
    "Another training run is in progress on this server. Try again when it finishes (or stop it).":
        "这台服务器上正有另一个训练在运行。请等它结束后再试（或停止它）。",
    "Training diverged at step {step} (the loss is {loss}); try a smaller learning rate.":
        "训练在第 {step} 步发散（损失为 {loss}）；请试试更小的学习率。",
    "Epoch {epoch}/{epochs}, step {step}/{total}, loss {loss:.3f}": "第 {epoch}/{epochs} 轮，第 {step}/{total} 步，损失 {loss:.3f}",
    "Epoch {epoch} done": "第 {epoch} 轮完成",
    "accuracy {accuracy:.1%} · macro-F1 {macro_f1:.3f}": "准确率 {accuracy:.1%} · 宏平均 F1 {macro_f1:.3f}",
    "not tried: the time budget was spent": "未尝试：时间预算已用完",
    "not available: {reason}": "不可用：{reason}",
    "rank": "排名", "backbone": "骨干网络", "weight decay": "权重衰减", "CV accuracy": "交叉验证准确率", "macro-F1": "宏平均 F1",
    "features (s)": "特征（秒）", "fit (s)": "拟合（秒）",
    # Video (toolkit/video.py)
    "Please upload a video first (or click the example).": "请先上传一个视频（或点击示例）。",
    "The video file '{name}' was not found.": "找不到视频文件“{name}”。",
    "'{name}' is not a video this tab reads; upload one of: {kinds}.": "本标签页读不了“{name}”这种视频；请上传以下格式之一：{kinds}。",
    "'{name}' could not be decoded as a video; it may be damaged or use a rare codec.":
        "无法把“{name}”解码为视频；它可能已损坏，或使用了少见的编码。",
    "The video is {seconds:.0f} s long; the limit here is {limit} s. Please trim it first.":
        "视频长 {seconds:.0f} 秒；这里的上限是 {limit} 秒。请先剪短它。",
    # Every tab (toolkit/task.py)
    "Unknown model '{model_id}' for {title}; choose one of {choices}.": "“{title}”没有模型“{model_id}”；请从 {choices} 中选择。",
    "`{name}` reads English only ({unknown} of {count} tokens are unknown to it).":
        "`{name}` 只能读英文（{count} 个 token 中有 {unknown} 个它不认识）。",
    "`{name}` reads English only.": "`{name}` 只能读英文。",
    " For Chinese, choose `{reader}`.": "中文请选择 `{reader}`。",
    # The page (app.py)
    "Running on GPU ({device}, PyTorch half precision).": "运行于 GPU（{device}，PyTorch 半精度）。",
    "Running on CPU (OpenVINO {precision}).": "运行于 CPU（OpenVINO {precision}）。",
    "Running on CPU (PyTorch float32).": "运行于 CPU（PyTorch float32）。",
    "Models run on Ray Serve, a deployment per model family; each answer names where it ran.":
        "模型运行于 Ray Serve，每个模型系列一个部署；每个回答都注明它在哪里运行。",
    " An NVIDIA GPU is attached, but this PyTorch build cannot use it (its CUDA needs a newer driver; README, Host it on "
    "Spaces).": "已连接 NVIDIA GPU，但当前 PyTorch 版本用不了它（其 CUDA 需要更新的驱动；见 README 的 Host it on Spaces）。",
    "{name} is still warming up (loading, and compiling for this machine); your request runs as soon as it is ready.":
        "{name} 仍在预热（加载并为这台机器编译）；就绪后立即处理你的请求。",
}
