"""Qt widgets only: main window, pages, dialogs, item models and the task runner."""
