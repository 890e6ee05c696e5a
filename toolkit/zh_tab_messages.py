"""The Chinese of what each tab's handlers write (tasks/), keyed by the English template; what
every tab shares is in toolkit/zh_messages.py. Each Chinese template uses the same {names} as its
English one (tests/test_messages.py checks both)."""

ZH_TAB_MESSAGES = {
    # Object detection
    "{name} must be between 0 and 1, got {value}.": "{name}必须在 0 到 1 之间，收到的是 {value}。",
    "nothing above the threshold": "没有高于阈值的物体",
    "Found {found}.": "找到：{found}。", " Masks drawn.": "已画出掩码。",
    "Waiting for the camera…": "正在等待摄像头……",
    "Live: {fps:.1f} frames/s, {p95_ms:.0f} ms per frame on the server (p95 of the last {count}) · {found}":
        "实时：每秒 {fps:.1f} 帧，服务器上每帧 {p95_ms:.0f} 毫秒（最近 {count} 帧的 p95）· {found}",
    "Frame {frame:,} of {frames:,} · {fps:.1f} frames/s": "第 {frame:,} 帧，共 {frames:,} 帧 · 每秒 {fps:.1f} 帧",
    "Frame {frame:,} · {fps:.1f} frames/s": "第 {frame:,} 帧 · 每秒 {fps:.1f} 帧",
    "The video has no frames that could be decoded.": "这个视频没有能解码的帧。",
    "{frames:,} frames ({video_s:.1f} s of video) in {seconds:.1f} s, {fps:.1f} frames/s · seen: {seen}":
        "{frames:,} 帧（{video_s:.1f} 秒视频），用时 {seconds:.1f} 秒，每秒 {fps:.1f} 帧 · 出现过：{seen}",
    "class": "类别", "confidence": "置信度", "mask_pixels": "掩码像素数",
    # Cut-out
    "{unknown}: not among the {count} classes this model knows (for example {known}).":
        "{unknown}：不在这个模型认识的 {count} 个类别中（例如 {known}）。",
    "{model_id} finds boxes, not outlines; choose a -seg model.": "{model_id} 只给出方框，不给轮廓；请选择 -seg 模型。",
    "Kept {kept}: {share:.1%} of the photo.": "保留了 {kept}：占照片的 {share:.1%}。",
    "Nothing to keep above the threshold: the cut-out is empty.": "没有高于阈值的物体可保留：抠图结果是空的。",
    "area %": "面积 %",
    # Image classification, and every batched endpoint
    "Answered in a batch of {count} requests ({ms:.0f} ms for the batch).": "与其他请求合并为 {count} 个一批处理（整批 {ms:.0f} 毫秒）。",
    # Zero-shot
    "With a single label the probability is always 100%: add labels to compare against.":
        "只有一个标签时概率总是 100%：请再加几个标签来比较。",
    "This CLIP was trained on English; for Chinese labels choose `{reader}`.": "这个 CLIP 用英文训练；中文标签请选择 `{reader}`。",
    "Image {image_ms:.0f} ms; label prompts {text_ms:.0f} ms (cached for this label set).":
        "图像 {image_ms:.0f} 毫秒；标签提示词 {text_ms:.0f} 毫秒（这组标签已缓存）。",
    "Answered in a batch of {count} requests with the same labels.": "与标签相同的其他请求合并为 {count} 个一批处理。",
    # CLIP vs ResNet
    "No image files found: upload JPEG or PNG images, or a folder of them.": "没有找到图像文件：请上传 JPEG 或 PNG 图像，或装有图像的文件夹。",
    "None of the files could be read as images: {skipped}": "没有一个文件能读成图像：{skipped}",
    "top-1 accuracy": "top-1 准确率", "top-5 accuracy": "top-5 准确率", "agreement": "一致率", "both": "两者",
    "model": "模型", "mean ms / image": "平均毫秒 / 张", "images": "图像数", "labelled": "有标签的", "image": "图像",
    "true class": "真实类别", "agree": "一致",
    "**They agree**": "**两者一致**", "**They disagree**": "**两者不一致**",
    "the 1,000 ImageNet classes": "1000 个 ImageNet 类别", "your {count} labels": "你的 {count} 个标签",
    "{agreement}: {name} says *{theirs}*, CLIP says *{clip}* (CLIP chose among {label_set}).":
        "{agreement}：{name} 认为是 *{theirs}*，CLIP 认为是 *{clip}*（CLIP 从{label_set}中选择）。",
    "Loading models": "正在加载模型",
    "Encoding {total:,} label prompts for CLIP (once per label set)": "正在为 CLIP 编码 {total:,} 个标签提示词（每组标签只做一次）",
    "{done}/{total} images": "{done}/{total} 张图像",
    "Skipped {count} file(s): {skipped}": "跳过了 {count} 个文件：{skipped}",
    "Upload some images (or a folder) first.": "请先上传一些图像（或一个文件夹）。",
    # Text generation
    "The seed must be from 0 to {limit:,} (or -1 for a different text each time).": "随机种子必须在 0 到 {limit:,} 之间（或 -1：每次生成不同的文本）。",
    "Unknown decoding strategy '{strategy}'; choose one of {choices}.": "未知的解码方式“{strategy}”；请从 {choices} 中选择。",
    "Max new tokens must be between 1 and {limit}.": "最多生成 token 数必须在 1 到 {limit} 之间。",
    "Temperature must be above 0 for sampling (use greedy for deterministic text).": "采样时温度必须大于 0（想要确定的文本请用贪心解码）。",
    "Top-p must be above 0 and at most 1.": "Top-p 必须大于 0 且不超过 1。",
    "Repetition penalty must be above 0 (1 means no penalty).": "重复惩罚必须大于 0（1 表示不惩罚）。",
    "Temperature, top-k, top-p and seed only apply to sampling; {strategy} ignores them.":
        "温度、top-k、top-p 和随机种子只用于采样；{strategy}会忽略它们。",
    "Beam search keeps several candidate texts and picks the best at the end, so it cannot stream: the text appears "
    "when it is complete.": "束搜索同时保留多个候选文本，最后选出最好的，所以无法逐字输出：文本完成后才会出现。",
    "{model_id} sees {context} tokens at most; ask for fewer new tokens.": "{model_id} 最多只能看到 {context} 个 token；请少生成一些。",
    "The prompt had {tokens:,} tokens; its first {cut:,} were cut so that prompt and answer fit the model's "
    "{context}-token context.": "提示词有 {tokens:,} 个 token；截掉了开头的 {cut:,} 个，使提示词和回答能放进模型 {context} 个 token 的上下文。",
    "{tokens} tokens · {speed:.1f} tokens/s · {seconds:.1f} s · {state}": "{tokens} 个 token · 每秒 {speed:.1f} 个 · {seconds:.1f} 秒 · {state}",
    "done": "完成", "generating…": "生成中……",
    " Beam search runs in PyTorch: the accelerated decode step follows one text at a time.":
        "束搜索在 PyTorch 中运行：加速的解码步骤一次只跟踪一段文本。",
    # Text classification
    "{count} text(s) were longer than the model's {limit} tokens and were cut to fit.":
        "有 {count} 条文本超过模型的 {limit} 个 token 上限，已截断。",
    "{count} lines classified in {passes} batched pass(es).": "{count} 行文本分 {passes} 批完成分类。",
    "Answered in a batch of {count} requests ({lines} lines).": "与其他请求合并为 {count} 个一批处理（共 {lines} 行）。",
    "probability": "概率", "truncated": "已截断",
    # Semantic search
    "Cosine similarity": "余弦相似度",
    "{queries} query(ies) × {sentences} sentence(s).": "{queries} 个查询 × {sentences} 个句子。",
    "query": "查询", "sentence": "句子", "cosine": "余弦相似度",
    # Tokenizer explorer
    "**{model_id}**: {tokens} tokens for {characters} characters ({per_token:.1f} characters per token)":
        "**{model_id}**：{characters} 个字符切成 {tokens} 个 token（平均每个 token {per_token:.1f} 个字符）",
    "The number of merges must be 0 or more.": "合并次数必须大于等于 0。",
    "{asked:,} merges asked; this panel learns at most {limit:,}.": "要求合并 {asked:,} 次；这里最多学习 {limit:,} 次。",
    "Stopped after {count} merges: no pair of adjacent tokens is left to merge.": "合并 {count} 次后停止：已没有可合并的相邻 token 对。",
    "{merges} merges learned, vocabulary of {vocabulary}; sample in {tokens} tokens.":
        "学到 {merges} 次合并，词表大小 {vocabulary}；示例文本切成 {tokens} 个 token。",
    "#": "#", "token": "token", "id": "id", "step": "步骤", "left": "左", "right": "右", "new token": "新 token",
    # Attention explorer
    "This model has layers 1-{layers} and heads 1-{heads}.": "这个模型的层号为 1-{layers}，注意力头为 1-{heads}。",
    "Layer {layer}, head {head}: query (row) attends to key (column)": "第 {layer} 层，第 {head} 个头：查询（行）对键（列）的注意力",
    "Layer {layer}, mean of {heads} heads": "第 {layer} 层，{heads} 个头的平均",
    "{tokens} tokens, {layers} layers × {heads} heads.": "{tokens} 个 token，{layers} 层 × {heads} 个头。",
    " The sentence was cut to its first {limit} tokens to keep the map readable.": "为保持图清晰，句子只保留了前 {limit} 个 token。",
    # Fine-tune text
    "The validation file has labels the training file lacks: {labels}.": "验证文件中有训练文件里没有的标签：{labels}。",
    "Each class needs at least 2 rows, one to train on and one to validate with; these have 1: {labels}.":
        "每个类别至少需要 2 行，一行训练、一行验证；这些类别只有 1 行：{labels}。",
    "Unknown training mode '{mode}'.": "未知的训练模式“{mode}”。",
    "Embedding {count} training texts with the frozen encoder": "正在用冻结的编码器嵌入 {count} 条训练文本",
    "Fitting the linear classifier": "正在拟合线性分类器", "Done": "完成",
    "Epoch {epoch} done: validation {scores}": "第 {epoch} 轮完成：验证集{scores}",
    "**{mode}** on **{model}**: {train_rows} training rows, {valid_rows} validation rows, {seconds:.0f} s.\n\n"
    "Validation {scores}": "在 **{model}** 上做**{mode}**：训练 {train_rows} 行，验证 {valid_rows} 行，用时 {seconds:.0f} 秒。\n\n验证集{scores}",
    "Linear probe": "线性探针", "Full fine-tuning": "全量微调",
    "Confusion matrix (rows: true, columns: predicted)": "混淆矩阵（行：真实，列：预测）",
    "true \\ predicted": "真实 \\ 预测",
    "Train a model first; then try it here.": "请先训练一个模型，再在这里试用。",
    # Few-shot images
    "Upload the encoder (.safetensors) you downloaded from the Self-supervised tab, or pick another backbone.":
        "请上传你从“自监督预训练”标签页下载的编码器（.safetensors），或选择另一个骨干网络。",
    "Features from {name}": "正在用 {name} 提取特征",
    "{name}, weight decay {weight_decay:g}: {accuracy:.1%}": "{name}，权重衰减 {weight_decay:g}：{accuracy:.1%}",
    "No backbone could be tried: {reasons}": "没有一个骨干网络能用：{reasons}",
    "Upload a zip of class folders, or images named class_xxx.jpg.": "请上传由类别文件夹组成的 zip，或命名为 class_xxx.jpg 的图像。",
    "Reading the images": "正在读取图像", "Loading {name}": "正在加载 {name}",
    "Features: {done}/{total} images": "特征：{done}/{total} 张图像",
    "Fitting and cross-validating the linear classifier": "正在拟合线性分类器并做交叉验证",
    "**{images} images**, {count} classes: {classes}.\n\n{folds}-fold cross-validated {scores} with **{name}**":
        "**{images} 张图像**，{count} 个类别：{classes}。\n\n用 **{name}** 做 {folds} 折交叉验证：{scores}",
    " (weight decay {weight_decay:g}, the best of {tried} tried).": "（权重衰减 {weight_decay:g}，{tried} 次尝试中最好的）。",
    ".": "。",
    "Cross-validated confusion (rows: true)": "交叉验证混淆矩阵（行：真实）",
    "recall": "召回率",
    "Build a classifier first; then try it here.": "请先构建一个分类器，再在这里试用。",
    # Self-supervised
    "Self-supervised (pretrained here)": "自监督（在这里预训练）", "Same CNN, random weights": "同一 CNN，随机权重",
    "{name} (ImageNet labels)": "{name}（ImageNet 标签训练）", "(unlabelled)": "（无标签）",
    "Upload a zip of images (class folders are optional: they let the probe score it).":
        "请上传图像 zip（类别文件夹可选：有了它，线性探针才能给编码器打分）。",
    "Found {count} usable images; contrastive pretraining needs at least 16.": "找到 {count} 张可用图像；对比预训练至少需要 16 张。",
    "Linear probes: pretrained against random weights": "线性探针：预训练对比随机权重",
    "Pretrained on **{images} images** for {epochs} epochs in {seconds:.0f} s, without their labels; final loss {loss:.3f}.":
        "在 **{images} 张图像**上不看标签预训练了 {epochs} 轮，用时 {seconds:.0f} 秒；最终损失 {loss:.3f}。",
    "No classes to score it with (put images in class folders): see the map and the neighbours.":
        "没有类别可以用来打分（请把图像放进类别文件夹）：请看二维图和最近邻。",
    "Linear probe, {folds}-fold cross-validated on {rows} labelled images of {classes} classes (chance {chance:.0%}): "
    "the gain is what pretraining learnt.":
        "线性探针，在 {classes} 个类别的 {rows} 张带标签图像上做 {folds} 折交叉验证（随机猜测 {chance:.0%}）：提升的部分就是预训练学到的。",
    " {name}'s ImageNet features are not compared: its weights cannot be downloaded here.":
        "未比较 {name} 的 ImageNet 特征：这里无法下载它的权重。",
    "Same class ({label}): **{same} of {count}** with the pretrained encoder, {same_random} of {count} with random weights.":
        "同类（{label}）：预训练编码器 **{count} 个中有 {same} 个**，随机权重 {count} 个中有 {same_random} 个。",
    "Pretrain an encoder first; then pick an image.": "请先预训练一个编码器，再选一张图像。",
    "encoder": "编码器", "probe accuracy": "探针准确率", "folds": "折数",
}
