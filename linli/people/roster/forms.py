"""The upload form of the roster import page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from linli.places.models import Area

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
ALLOWED_SUFFIXES = {".xlsx", ".xls", ".csv"}


class UploadForm(forms.Form):
    community = forms.ModelChoiceField(
        label="社区",
        queryset=Area.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "请选择您负责的社区"},
    )
    file = forms.FileField(
        label="台账文件（.xlsx、.xls 或 .csv，不超过 10 MB）",
        error_messages={"required": "请选择要上传的文件", "empty": "文件是空的"},
    )
    create_missing = forms.BooleanField(
        label="自动创建文件中出现但系统中还没有的楼栋、单元和户", required=False
    )

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities  # type: ignore[attr-defined]

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        suffix = Path(upload.name or "").suffix.lower()
        if suffix not in ALLOWED_SUFFIXES:
            raise forms.ValidationError("只支持 .xlsx、.xls 或 .csv 文件")
        if (upload.size or 0) > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件超过 10 MB，请拆分后分批上传")
        return upload
