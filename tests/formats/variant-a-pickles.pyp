<?xml version='1.0' encoding='utf-8'?>
<scheme description="" title="pickled settings" version="2.0">
	<nodes>
		<node id="0" name="IIR Filter" position="(0, 50)" project_name="NeuroPype" qualified_name="widgets.signal_processing.owiirfilter.OWIIRFilter" title="IIR Filter" uuid="00000000-0000-4000-8000-000000000000" version="1.0.0" />
		<node id="1" name="Segmentation" position="(100, 50)" project_name="NeuroPype" qualified_name="widgets.formatting.owsegmentation.OWSegmentation" title="Segmentation" uuid="00000000-0000-4000-8000-000000000001" version="1.0.0" />
		<node id="2" name="Assign Target Values" position="(200, 50)" project_name="NeuroPype" qualified_name="widgets.machine_learning.owassigntargets.OWAssignTargets" title="Assign Target Values" uuid="00000000-0000-4000-8000-000000000002" version="1.0.0" />
	</nodes>
	<links>
		<link enabled="true" id="0" sink_channel="Data" sink_node_id="1" source_channel="Data" source_node_id="0" />
		<link enabled="true" id="1" sink_channel="Data" sink_node_id="2" source_channel="Data" source_node_id="1" />
	</links>
	<annotations />
	<thumbnail />
	<node_properties>
		<properties format="pickle" node_id="0">gAN9cQAoWAsAAABmcmVxdWVuY2llc3EBXXECKEsISwlLDUsOZVgEAAAAbW9kZXEDWAgAAABiYW5k
cGFzc3EEWAUAAABvcmRlcnEFWA0AAAAodXNlIGRlZmF1bHQpcQZYCgAAAHN0b3BfYXR0ZW5xB0dA
SQAAAAAAAFgQAAAAb2ZmbGluZV9maWx0ZmlsdHEIiVgEAAAAYXhpc3EJWAQAAAB0aW1lcQpYBgAA
AGRlc2lnbnELWAYAAABidXR0ZXJxDFgLAAAAaWdub3JlX25hbnNxDYlYCQAAAHBhc3NfbG9zc3EO
R0AIAAAAAAAAWBMAAABzYXZlZFdpZGdldEdlb21ldHJ5cQ9jc2lwCl91bnBpY2tsZV90eXBlCnEQ
WAwAAABQeVF0NS5RdENvcmVxEVgKAAAAUUJ5dGVBcnJheXESQzIB2dDLAAIAAAAAAlgAAAEYAAAE
wwAAAqUAAAJgAAABNwAABLsAAAKdAAAAAAAAAAAHgHEThXEUh3EVUnEWdS4=
</properties>
		<properties format="pickle" node_id="1">gAN9cQAoWAsAAAB0aW1lX2JvdW5kc3EBXXECKEe/yZmZmZmZmkc/6ZmZmZmZmmVYDwAAAG9ubGlu
ZV9lcG9jaGluZ3EDWA0AAABtYXJrZXItbG9ja2VkcQRYDgAAAG1heF9nYXBfbGVuZ3RocQVHP8mZ
mZmZmZpYDgAAAHNlbGVjdF9tYXJrZXJzcQZYDQAAACh1c2UgZGVmYXVsdClxB1gHAAAAdmVyYm9z
ZXEIiVgRAAAAa2VlcF9tYXJrZXJfY2h1bmtxCYlYDQAAAHNhbXBsZV9vZmZzZXRxCksAWBMAAABz
YXZlZFdpZGdldEdlb21ldHJ5cQtjc2lwCl91bnBpY2tsZV90eXBlCnEMWAwAAABQeVF0NC5RdENv
cmVxDVgKAAAAUUJ5dGVBcnJheXEOQzIB2dDLAAIAAAAAAlgAAAEYAAAEwwAAAqUAAAJgAAABNwAA
BLsAAAKdAAAAAAAAAAAHgHEPhXEQh3ERUnESdS4=
</properties>
		<properties format="pickle" node_id="2">gASV0wAAAAAAAAB9lCiMB21hcHBpbmeUfZQojARsZWZ0lEsAjAVyaWdodJRLAXWMDmlzX2NhdGVn
b3JpY2FslIiMCWl2X2NvbHVtbpSMBk1hcmtlcpSME3NhdmVkV2lkZ2V0R2VvbWV0cnmUjANzaXCU
jA5fdW5waWNrbGVfdHlwZZSTlIwMUHlRdDUuUXRDb3JllIwKUUJ5dGVBcnJheZRDMgHZ0MsAAgAA
AAACWAAAARgAAATDAAACpQAAAmAAAAE3AAAEuwAAAp0AAAAAAAAAAAeAlIWUh5RSlHUu
</properties>
	</node_properties>
	<patch />
</scheme>
