# Copied from github.com/fastapi/full-stack-fastapi-template, commit 68adb40d, backend/app/core/__init__.py.
# Unchanged.
