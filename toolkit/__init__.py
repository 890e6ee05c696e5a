"""What the tabs share: the task contract, input checks, Gradio glue, figures, training plumbing."""
