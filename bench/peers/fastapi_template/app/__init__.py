# Copied from github.com/fastapi/full-stack-fastapi-template, commit 68adb40d, backend/app/__init__.py.
# Unchanged.
