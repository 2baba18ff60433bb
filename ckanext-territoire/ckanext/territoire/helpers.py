"""Template helpers of the territoire plugin."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk


def territoire_recent_datasets(limit: int = 6) -> list[dict[str, Any]]:
    """The most recently modified public datasets, for the home page."""
    result = tk.get_action("package_search")(
        {}, {"q": "*:*", "sort": "metadata_modified desc", "rows": limit}
    )
    return result["results"]
