"""The interface's Simplified Chinese, keyed by its English (toolkit/i18n.py uses it)."""

ZH: dict[str, str] = {
    # The page
    "Try today's pretrained models in your browser, one tab per task: YOLO, ResNet and CLIP for images; GPT-2, BERT "
    "and sentence embeddings for text; and training your own classifiers on top of them.": "在浏览器里试用当今的预训练模型，每个任务一个标签页：图像用 YOLO、ResNet 和 CLIP；文本用 GPT-2、BERT 和句向量；"
    "还可以在它们之上训练你自己的分类器。",
    "Vision": "视觉",
    "Language": "语言",
    "Training": "训练",
    "Copy a link to this tab": "复制本页链接",
    # Tabs
    "Object detection": "目标检测",
    "Cut-out (segmentation)": "抠图（实例分割）",
    "Image classification": "图像分类",
    "Zero-shot (CLIP)": "零样本分类（CLIP）",
    "CLIP vs ResNet": "CLIP 对比 ResNet",
    "Text generation": "文本生成",
    "Text classification": "文本分类",
    "Semantic search": "语义搜索",
    "Tokenizer explorer": "分词器对比",
    "Attention explorer": "注意力可视化",
    "Fine-tune text": "文本微调",
    "Few-shot images": "小样本图像分类",
    "Self-supervised": "自监督预训练",
    # Shared controls
    "Photo": "照片",
    "Model": "模型",
    "Stop": "停止",
    "Status": "状态",
    "Summary": "摘要",
    "Prediction": "预测",
    "Text": "文本",
    "Note": "说明",
    "Mode": "模式",
    "Images": "图像",
    "Epochs": "训练轮数",
    "Batch size": "批大小",
    "Training settings": "训练设置",
    "Per class": "各类别",
    "Classify": "分类",
    "Examples": "示例",
    # Object detection
    "Finds and outlines objects of the 80 COCO classes with **Ultralytics YOLO**, in a photo, live from your webcam "
    "or in a video. The `-seg` models also draw each object's mask.": "用 **Ultralytics YOLO** 找出并框出 80 个 COCO 类别的物体：照片、摄像头实时画面或视频均可。`-seg` 模型还会画出每个物体的掩码。",
    "Confidence threshold": "置信度阈值",
    "IoU threshold (overlap for NMS)": "IoU 阈值（NMS 的重叠度）",
    "Detect": "检测",
    "Detections": "检测结果",
    "Objects": "物体",
    "Webcam (live)": "摄像头（实时）",
    "Webcam": "摄像头",
    "Detections, live": "实时检测结果",
    "Video file": "视频文件",
    "Detect in video": "检测视频",
    "Frames as they are done": "处理完的帧",
    "Annotated video (WebM, with a download button)": "标注后的视频（WebM，可下载）",
    "Objects per class over time": "各类物体数量随时间变化",
    # Cut-out
    "Instance segmentation outlines every object pixel by pixel. Name the classes to keep (any of the 80 COCO "
    "classes; empty keeps them all): the rest of the photo becomes transparent, ready to paste elsewhere.": "实例分割逐像素勾勒每个物体。写下要保留的类别（80 个 COCO 类别中的任意几个；留空则全部保留）：照片其余部分变为透明，可直接贴到别处。",
    "Keep these classes (comma-separated; empty: every object)": "保留这些类别（逗号分隔；留空：全部物体）",
    "Cut out": "抠图",
    "Cut-out (transparent background)": "抠图结果（透明背景）",
    "Mask": "掩码",
    "Kept objects": "保留的物体",
    # Image classification
    "Names the main object in a photo among the 1,000 ImageNet classes with a **torchvision ResNet**, using its "
    "weights' own preprocessing (resize, centre crop, normalise).": "用 **torchvision ResNet** 在 1000 个 ImageNet 类别中识别照片的主体，预处理与其权重自带的一致（缩放、中心裁剪、归一化）。",
    "Top 5": "前 5 名",
    # Zero-shot
    "**CLIP** scores an image against any labels you type, without training on them: each label becomes a prompt "
    "such as *a photo of a cat.* and CLIP picks the closest. For Chinese labels, choose the Chinese CLIP.": "**CLIP** 给图像和你输入的任意标签打分，无需在这些标签上训练：每个标签变成 *a photo of a cat.* 这样的提示词，"
    "CLIP 选出最接近的一个。中文标签请选择 Chinese CLIP 模型。",
    "Candidate labels (comma-separated)": "候选标签（逗号分隔）",
    "cat, dog, car": "猫, 狗, 汽车",
    "Prompt ensemble (7 templates, as in the CLIP paper)": "提示词集成（CLIP 论文中的 7 个模板）",
    "Probabilities": "概率",
    # CLIP vs ResNet
    "Puts **CLIP** (zero-shot, from text prompts) beside a supervised **ImageNet classifier** (trained on "
    "ImageNet's labels). CLIP's candidates default to the same 1,000 ImageNet classes, so both answer the same "
    "question; type your own labels to change CLIP's.": "把 **CLIP**（零样本，依靠文本提示）和有监督的 **ImageNet 分类器**（用 ImageNet 标签训练）放在一起比较。CLIP 的候选标签"
    "默认就是同样的 1000 个 ImageNet 类别，两者回答同一个问题；输入你自己的标签即可改变 CLIP 的候选。",
    "ImageNet classifier": "ImageNet 分类器",
    "CLIP model": "CLIP 模型",
    "One image": "单张图像",
    "Many images": "多张图像",
    "…or a folder": "……或一个文件夹",
    "CLIP labels (empty: the 1,000 ImageNet classes)": "CLIP 标签（留空：1000 个 ImageNet 类别）",
    "Prompt ensemble (slower the first time)": "提示词集成（首次较慢）",
    "Compare": "比较",
    "Compare all": "全部比较",
    "Verdict": "结论",
    "ImageNet classifier top 5": "ImageNet 分类器前 5 名",
    "CLIP top 5": "CLIP 前 5 名",
    "Accuracy and agreement": "准确率与一致性",
    "Per image": "逐张结果",
    "Upload images or a folder. File names of the form `<wnid>_<class>.JPEG` (as in ImageNet samples) give the "
    "true class, and with it each model's accuracy.": "上传图像或文件夹。形如 `<wnid>_<class>.JPEG` 的文件名（如 ImageNet 样本）给出真实类别，从而得到每个模型的准确率。",
    # Text generation
    "**GPT-2** continues your text, token by token (for Chinese, the Chinese GPT-2). Sampling with a fixed seed "
    "gives the same text again; greedy always picks the likeliest token; beam search weighs several continuations.": "**GPT-2** 逐个 token 续写你的文本（中文请用中文 GPT-2）。固定种子的采样每次得到相同文本；贪心解码总是选最可能的 token；"
    "束搜索同时权衡多种续写。",
    "sampling": "采样",
    "greedy": "贪心",
    "beam search": "束搜索",
    "Prompt": "提示词",
    "Generate": "生成",
    "Decoding settings": "解码设置",
    "Max new tokens": "最多生成 token 数",
    "Decoding": "解码方式",
    "Temperature": "温度",
    "Top-k (0: off)": "Top-k（0：关闭）",
    "Top-p": "Top-p",
    "No-repeat n-gram size (0: off)": "禁止重复的 n-gram 长度（0：关闭）",
    "Repetition penalty": "重复惩罚",
    "Seed (-1: random)": "随机种子（-1：随机）",
    # Text classification
    "Sentiment of a sentence, or of many (one per line, classified together in one batch), with a fine-tuned "
    "**BERT-family** model. The multilingual and Chinese models read other languages.": "用微调过的 **BERT 系列**模型判断一句或多句话的情感（每行一句，一批一起分类）。多语言模型和中文模型能读其他语言。",
    "Text (one per line for several)": "文本（多句请每行一句）",
    "Labels over all lines": "所有行的标签",
    "Every line": "逐行结果",
    "First line": "第一行",
    # Semantic search
    "Search by meaning, not words: each sentence becomes a vector (**sentence embedding**), and sentences that mean "
    "the same point the same way (high cosine similarity), even with no word in common.": "按意思而不是按字词搜索：每个句子变成一个向量（**句向量**），意思相同的句子指向相同的方向（余弦相似度高），即使没有一个词相同。",
    "Query (one per line for several)": "查询（多个请每行一个）",
    "Sentences to search (one per line)": "待搜索的句子（每行一句）",
    "Search": "搜索",
    "Ranked matches": "匹配排名",
    "Similarity heatmap": "相似度热力图",
    # Tokenizer explorer
    "Models read **tokens**, not letters. GPT-2's **byte-level BPE** and BERT's **WordPiece** cut the same text "
    "differently: compare them, then train a tiny BPE yourself.": "模型读的是 **token**，不是字母。GPT-2 的**字节级 BPE** 和 BERT 的 **WordPiece** 对同一段文本切分不同：比较一下，再自己训练一个小 BPE。",
    "Left tokenizer": "左侧分词器",
    "Right tokenizer": "右侧分词器",
    "Tokenize": "分词",
    "Train your own BPE": "训练你自己的 BPE",
    "Byte-pair encoding starts from single characters and repeatedly merges the most frequent adjacent pair into a "
    "new token. Paste a corpus and choose how many merges to learn.": "字节对编码（BPE）从单个字符开始，反复把最常见的相邻一对合并成新 token。粘贴一段语料，选择要学习的合并次数。",
    "Corpus": "语料",
    "Merges": "合并次数",
    "Learn merges": "学习合并",
    "Segment this text (empty: the start of the corpus's first line)": "切分这段文本（留空：语料第一行的开头）",
    "Segmentation": "切分结果",
    # Attention explorer
    "Every layer of a Transformer lets each token look at all others: its **query** is compared with every token's "
    "**key**, and the softmax of those scores (each row sums to 1) weighs the **values** it takes in. Pick a layer "
    "and head to see who looks at whom.": "Transformer 的每一层都让每个 token 关注所有其他 token：它的 **query** 与每个 token 的 **key** 比较，这些分数的 softmax"
    "（每行之和为 1）决定它吸收各个 **value** 的权重。选一层、一个头，看看谁在关注谁。",
    "Sentence": "句子",
    "Encoder": "编码器",
    "Layer": "层",
    "Head": "注意力头",
    "Show attention": "显示注意力",
    "One head": "单个头",
    "All heads averaged": "所有头的平均",
    # Fine-tune text
    "Adapt a pretrained encoder to **your own labels**: upload a CSV or TSV with a text column and a label column "
    "(any labels), or start from the built-in example. The **linear probe** trains a small classifier on frozen "
    "sentence embeddings in seconds; **full fine-tuning** updates the whole model (minutes on a CPU).": "让预训练编码器学会**你自己的标签**：上传含文本列和标签列（任意标签）的 CSV 或 TSV，或从内置示例开始。**线性探针**在冻结的句向量上"
    "几秒内训练一个小分类器；**全量微调**更新整个模型（CPU 上需几分钟）。",
    "linear probe (fast)": "线性探针（快）",
    "full fine-tuning": "全量微调",
    "Training data (CSV or TSV)": "训练数据（CSV 或 TSV）",
    "Use the built-in example (40 product and film reviews)": "使用内置示例（40 条商品和电影评论）",
    "中文示例：40 条中文评论 (Chinese reviews, on BERT-base Chinese)": "中文示例：40 条中文评论（使用 BERT-base Chinese）",
    "Validation data (optional; otherwise 20% is held out)": "验证数据（可选；否则留出 20%）",
    "Text column": "文本列",
    "Label column": "标签列",
    "Base model": "基础模型",
    "Epochs (full fine-tuning)": "训练轮数（全量微调）",
    "Learning rate (full fine-tuning)": "学习率（全量微调）",
    "Max length (tokens)": "最大长度（token）",
    "Max rows used": "最多使用行数",
    "Train": "训练",
    "Training loss": "训练损失",
    "Confusion matrix": "混淆矩阵",
    "Confusion matrix (counts)": "混淆矩阵（计数）",
    "Trained model (Hugging Face format, zipped)": "训练好的模型（Hugging Face 格式，zip）",
    "Try the trained model": "试用训练好的模型",
    "Type a sentence": "输入一句话",
    "Classify with the trained model": "用训练好的模型分类",
    # Few-shot images
    "Teach a new image classifier from **a handful of examples per class**: a frozen pretrained backbone turns each "
    "image into features and a linear classifier learns your classes on top, in seconds. Upload a zip of class "
    "folders (`cats/…`, `dogs/…`) or images named `class_xxx.jpg`. **Auto** tries every backbone with several "
    "regularisation strengths, ranks them by cross-validated accuracy (a leaderboard, as AutoGluon's) and keeps the best.": "每类**只需几张样例**就能教会一个新的图像分类器：冻结的预训练骨干网络把每张图像变成特征，线性分类器在其上几秒内学会你的类别。"
    "上传按类别分文件夹的 zip（`cats/…`、`dogs/…`）或命名为 `类别_xxx.jpg` 的图像。**自动**模式尝试每个骨干网络和几种正则化强度，"
    "按交叉验证准确率排名（像 AutoGluon 的排行榜），保留最好的。",
    "One backbone": "单个骨干网络",
    "Auto: every backbone and setting, cross-validated": "自动：交叉验证每个骨干网络与设置",
    "Labelled images or a zip": "带标签的图像或 zip",
    "Backbone": "骨干网络",
    "Time budget for Auto (seconds)": "自动模式的时间预算（秒）",
    "Your self-supervised encoder (.safetensors, from the Self-supervised tab)": "你的自监督编码器（.safetensors，来自“自监督预训练”页）",
    "Build classifier": "构建分类器",
    "Cross-validated confusion matrix": "交叉验证混淆矩阵",
    "Try the classifier on a new image": "用新图像试试这个分类器",
    "Leaderboard (best first; the first row is the model kept)": "排行榜（最好的在前；第一行即保留的模型）",
    # Self-supervised
    "Learn from images **without labels**: a small CNN sees two randomly cropped, flipped and recoloured views of "
    "each image and learns to tell which views come from the same image (SimCLR's contrastive loss). A linear probe "
    "then measures what it learnt, against the same CNN with random weights. Download the encoder and use it as a "
    "backbone in *Few-shot images*.": "**不用标签**从图像中学习：一个小 CNN 看每张图像经过随机裁剪、翻转和调色的两个视图，学会分辨哪些视图来自同一张图像"
    "（SimCLR 的对比损失）。随后用线性探针衡量它学到了什么，并与随机权重的同一个 CNN 比较。可下载编码器，在“小样本图像分类”中作为骨干网络。",
    "Images or a zip (class folders let the probe score the encoder)": "图像或 zip（按类别分文件夹时，探针才能给编码器打分）",
    "CIFAR-10 (torchvision downloads it once, 170 MB)": "CIFAR-10（torchvision 首次下载，170 MB）",
    "Your own images (a zip, or image files)": "你自己的图像（zip 或图像文件）",
    "Images used": "使用的图像数",
    "Learning rate (Adam)": "学习率（Adam）",
    "Pretrain": "预训练",
    "Contrastive loss (NT-Xent)": "对比损失（NT-Xent）",
    "Linear probe: pretrained vs random weights": "线性探针：预训练 vs 随机权重",
    "Pretrained encoder (.safetensors, for Few-shot images)": "预训练编码器（.safetensors，用于小样本图像分类）",
    "The embeddings in 2-D (principal components)": "嵌入的二维投影（主成分）",
    "Pick an image to see its nearest neighbours": "选一张图像，查看它的最近邻",
    "Nearest neighbours (pretrained encoder, cosine similarity)": "最近邻（预训练编码器，余弦相似度）",
    # Labels with a side or a count in them
    "Left: summary": "左：摘要",
    "Left: tokens": "左：token",
    "Left: ids": "左：id",
    "Right: summary": "右：摘要",
    "Right: tokens": "右：token",
    "Right: ids": "右：id",
    "First 30 merges, in order": "前 30 次合并（按顺序）",
    "Allow the camera, then press record: frames go to the server up to 10 times a second and come back annotated. "
    "When the server is busy, frames are skipped, never queued. A stream ends after 5 minutes; press record again to go on.": "允许使用摄像头，然后点击录制：画面每秒最多 10 次发往服务器，标注后传回。服务器忙时跳过画面，从不排队。"
    "每次串流 5 分钟后结束；再点录制即可继续。",
    "Video (up to 2 minutes)": "视频（最长 2 分钟）",
    "second of the video": "视频秒数",
    "objects": "物体数",
}
