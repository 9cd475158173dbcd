"""The front-end-neutral view layer of the workspace.

The Oscar dashboard (``oscar_orders_ext.dashboard``) and the Wagtail admin
(``oscar_orders_ext.contrib.wagtail``) are skins over it: they add page chrome, their URL
namespace and their navigation, and build their URLs from the one route table
(:mod:`oscar_orders_ext.views.routes`). Neither skin imports the other.
"""
