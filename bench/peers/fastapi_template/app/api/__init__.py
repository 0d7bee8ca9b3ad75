# Copied from github.com/fastapi/full-stack-fastapi-template, commit 68adb40d, backend/app/api/__init__.py.
# Unchanged.
